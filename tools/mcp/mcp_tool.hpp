#pragma once
// One tool of an MCP server as a tools::Tool: functions.<server>_<tool>, run through the
// Manager (which owns the server).
#include <memory>

#include "tools/mcp/manager.hpp"
#include "tools/tool.hpp"

namespace ossa::mcp {

class McpTool : public tools::Tool {
 public:
  McpTool(std::shared_ptr<Manager> manager, const ServerConfig& server, const RemoteTool& tool);
  const tools::ToolSpec& spec() const override { return spec_; }
  // The server's tool_timeout, shortened to the caller's ctx.limits.timeout when that is
  // shorter; the result capped at ctx.limits.max_output_bytes.
  boost::asio::awaitable<tools::ToolResult> invoke(const tools::ToolCall& call, tools::ToolContext& ctx) override;

  const std::string& server() const { return server_; }
  const std::string& remote_name() const { return remote_; }

 private:
  std::shared_ptr<Manager> manager_;
  std::string server_, remote_;
  std::chrono::milliseconds timeout_;
  tools::ToolSpec spec_;
};

// The input schema as ossa shows and checks it: `$schema` and other keys valijson or the
// TypeScript rendering cannot use are dropped; null when it declares no properties.
tools::Json tool_parameters(const tools::Json& input_schema);

}  // namespace ossa::mcp
