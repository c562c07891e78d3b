#pragma once
// An MCP server run as a program inside ossa's sandbox, speaking newline-delimited JSON-RPC on
// its stdin/stdout (MCP "stdio" transport). stderr is drained and its end kept for error
// messages. Lines that are not JSON are skipped and counted; a line longer than the message cap
// stops the server (it cannot be resynchronised without reading it whole).
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>

#include "sandbox/sandbox.hpp"
#include "tools/mcp/server_config.hpp"
#include "tools/mcp/transport.hpp"

namespace ossa::mcp {

// The sandbox policy for a stdio server: the workspace at /workspace (read-only unless granted),
// the granted read-only paths, no network, the server's own environment, no wall timeout.
sandbox::Policy server_policy(const ServerConfig& cfg, const std::filesystem::path& workspace);

class StdioTransport : public Transport {
 public:
  StdioTransport(boost::asio::io_context& io, ServerConfig cfg, std::filesystem::path workspace);
  ~StdioTransport() override;
  void start(TransportHandlers handlers) override;
  void send(const Json& message) override;
  void close() override;
  std::string diagnostics() const override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ossa::mcp
