#pragma once
// The MCP servers of one ossa process. They run on the manager's own I/O thread, so every agent
// session (on any executor or thread) shares them, a server's sandbox lives as long as that
// thread (the sandbox's PDEATHSIG follows the spawning thread), and a blocking caller such as
// registry building can wait for the servers to start. Destroying the manager stops every
// server; an ossa crash kills them too (PDEATHSIG).
//
//   auto mgr = std::make_shared<mcp::Manager>(servers, workspace, secret_lookup);
//   auto listed = mgr->start_all();                 // blocks; each server up to startup_timeout
//   for (auto& w : mcp::add_mcp_tools(reg, mgr, listed)) log::warn(w);
#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tools/mcp/client.hpp"
#include "tools/mcp/server_config.hpp"
#include "tools/registry.hpp"

namespace ossa::mcp {

struct ServerTools {
  std::string server;
  std::vector<RemoteTool> tools;
  std::string error;  // the server could not start or list its tools
};

class Manager {
 public:
  Manager(std::vector<ServerConfig> servers, std::filesystem::path workspace, SecretLookup secret);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  const std::vector<ServerConfig>& servers() const { return configs_; }
  // Starts every enabled server at once and lists its tools. Blocks (never call it from the
  // manager's thread); takes at most the longest startup_timeout.
  std::vector<ServerTools> start_all();
  // Calls a tool; awaitable from any executor; the result comes back on the caller's executor.
  // When the awaiting coroutine is cancelled (the turn is cancelled), the server is sent
  // notifications/cancelled and the call fails at once. Never throws.
  boost::asio::awaitable<tools::ToolResult> call(std::string server, std::string tool, Json arguments,
                                                 std::chrono::milliseconds timeout,
                                                 std::size_t max_bytes);
  // Stops one server now (tests: a crash on purpose); the next call restarts it.
  void stop(const std::string& server);
  // How many times the server was started (tests).
  int starts(const std::string& server);

  struct Impl;

 private:
  std::vector<ServerConfig> configs_;
  std::shared_ptr<Impl> impl_;
};

// The name the model sees for a server's tool: `<server>_<tool>` in `functions`, each
// character outside [A-Za-z0-9_] replaced by `_` (TypeScript identifiers; gpt-oss writes them).
std::string tool_function_name(const std::string& server, const std::string& tool);

// Adds every listed tool to `reg` as functions.<server>_<tool> (spec: the server's description,
// its input schema without `$schema`, needs_approval from the server's configuration), and the
// alias `<server>.<tool>`. Returns warnings: servers that failed to start, tools skipped because
// their name is taken (a built-in wins) or their schema is unusable.
std::vector<std::string> add_mcp_tools(tools::Registry& reg, std::shared_ptr<Manager> manager,
                                       const std::vector<ServerTools>& listed);

}  // namespace ossa::mcp
