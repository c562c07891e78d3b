#include "tools/mcp/mcp_tool.hpp"

namespace ossa::mcp {

tools::Json tool_parameters(const tools::Json& input_schema) {
  if (!input_schema.is_object()) return nullptr;
  tools::Json p = input_schema;
  // Draft 2020-12 and draft-07 URIs (zod, pydantic) name dialects valijson may refuse; the
  // keywords MCP servers use are common to both.
  p.erase("$schema");
  p.erase("$id");
  auto props = p.find("properties");
  if (props == p.end() || !props->is_object() || props->empty()) return nullptr;
  if (!p.contains("type")) p["type"] = "object";
  return p;
}

McpTool::McpTool(std::shared_ptr<Manager> manager, const ServerConfig& server, const RemoteTool& tool)
    : manager_(std::move(manager)), server_(server.name), remote_(tool.name), timeout_(server.tool_timeout) {
  spec_.ns = "functions";
  spec_.name = tool_function_name(server.name, tool.name);
  spec_.description = !tool.description.empty() ? tool.description : tool.title;
  spec_.parameters = tool_parameters(tool.input_schema);
  spec_.needs_approval = server.needs_approval;
  spec_.needs_network = server.is_http();
}

boost::asio::awaitable<tools::ToolResult> McpTool::invoke(const tools::ToolCall& call, tools::ToolContext& ctx) {
  auto timeout = timeout_;
  if (ctx.limits.timeout.count() > 0 && ctx.limits.timeout < timeout) timeout = ctx.limits.timeout;
  tools::Json args = call.arguments.is_object() ? call.arguments : tools::Json::object();
  co_return co_await manager_->call(server_, remote_, std::move(args), timeout, ctx.limits.max_output_bytes);
}

}  // namespace ossa::mcp
