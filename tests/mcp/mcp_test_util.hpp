#pragma once
// Shared by the MCP tests: a workspace, a Manager over some servers, calls run like the runtime
// runs them (on a private io_context, through the Registry).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../tools/temp_dir.hpp"
#include "../tools/tool_test_util.hpp"
#include "tools/mcp/manager.hpp"
#include "tools/registry.hpp"

namespace ossa::test {

struct McpHarness {
  TempDir ws;
  boost::asio::io_context io;
  tools::Registry reg;
  tools::ToolContext ctx;
  std::shared_ptr<mcp::Manager> manager;
  std::vector<mcp::ServerTools> listed;
  std::vector<std::string> warnings;

  McpHarness() {
    ctx.workspace = ws.path();
    ctx.limits.timeout = std::chrono::seconds(30);
  }
  void start(std::vector<mcp::ServerConfig> servers) {
    manager = std::make_shared<mcp::Manager>(std::move(servers), ws.path(), nullptr);
    listed = manager->start_all();
    warnings = mcp::add_mcp_tools(reg, manager, listed);
  }
  tools::ToolResult call(const std::string& recipient, const std::string& body = "{}") {
    return call_tool(io, reg, ctx, recipient, body);
  }
  // Straight to the manager (a tool the registry does not have, arguments it would refuse).
  tools::ToolResult direct(const std::string& server, const std::string& tool, tools::Json args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto fut = boost::asio::co_spawn(io, manager->call(server, tool, std::move(args), timeout, 64 * 1024),
                                     boost::asio::use_future);
    io.restart();
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready && io.run_one()) {
    }
    return fut.get();
  }
  std::string warnings_text() const {
    std::string s;
    for (const auto& w : warnings) s += w + "\n";
    return s;
  }
};

}  // namespace ossa::test
