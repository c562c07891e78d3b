#pragma once
// The one place a Config becomes what tools need. Built once per process (per configuration)
// and shared by everything that runs tools: `ossa run`, `ossa chat`, `ossa tools`, and the
// server and MCP clients to come. So a tool behaves the same whichever command runs it.
//
//   Config cfg = flags.effective();
//   Environment env(cfg);                          // throws ConfigError, naming what is wrong
//   const tools::Registry& reg = env.registry();   // the tools the model is offered
//   tools::ToolSession session;
//   tools::ToolContext ctx = env.tool_context(io.get_executor(), &session);
//   ToolResult r = co_await reg.dispatch(call, ctx);
//
// What it holds, each built once from the configuration:
//   - the network policy: `network_allowlist` parsed; a malformed rule is an error here, naming
//     the rule, never a rule silently dropped or read as "no rules";
//   - one HTTP client (tools/net/http_client.hpp) for every network tool: the browser, the
//     http_request built-in and user HTTP tools share its connections and I/O thread; the
//     proxy variables (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) are read once, here; each tool's own
//     rules apply per request;
//   - the registry: the built-ins `tools` selects, every tool file of `tool_dirs`, and the
//     tools of the MCP servers `[mcp_servers.NAME]` declares (started here, each up to its
//     startup_timeout, on one mcp::Manager this environment owns: the servers live as long as
//     the environment, and every session that uses it reaches the same server processes);
//   - the tool context's fields: workspace (absolute), limits (tool timeout, sandbox memory and
//     policy), `sandbox.protect_git`, and the declared secrets (`[secrets]`) `${NAME}` in HTTP
//     headers (of tool files and MCP servers) may use.
//
// An Environment is immutable after construction and may be used from any thread; the tools in
// its registry are shared by every session that uses it.
#include <boost/asio/any_io_executor.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/config.hpp"
#include "tools/net/http_client.hpp"
#include "tools/net/network_policy.hpp"
#include "tools/registry.hpp"
#include "tools/tool.hpp"

namespace ossa::mcp {
class Manager;
}

namespace ossa::runtime {

class Environment {
 public:
  // Throws ConfigError for a malformed network rule or secret, an invalid tool file or a
  // workspace that is not a directory. Names in `tools` that match no tool, and MCP servers that
  // did not start (or tools of theirs that were skipped), are warned about on stderr and kept
  // in warnings(): the agent runs without them.
  explicit Environment(const Config& config);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  const Config& config() const { return config_; }
  const net::NetworkPolicy& network_policy() const { return policy_; }
  // The one client every network tool sends through (its own policy is the allowlist).
  const std::shared_ptr<net::HttpClient>& http_client() const { return http_; }
  const tools::Registry& registry() const { return registry_; }
  // The folder tools act in: `workspace`, or the current directory; absolute.
  const std::filesystem::path& workspace() const { return workspace_; }
  // Limits for sandboxed code: the tool timeout, `[sandbox] memory_mib` and `policy`.
  const tools::ExecLimits& exec_limits() const { return limits_; }
  // The secrets the configuration declares (each bound to its hosts).
  const std::shared_ptr<const tools::Secrets>& secrets() const { return secrets_; }
  // The MCP servers' startup warnings (a server that did not start, a tool name already taken).
  const std::vector<std::string>& warnings() const { return warnings_; }

  // A context for calls on `executor` keeping state in `session` (null: per call only), with
  // this environment's workspace, limits and secrets. The caller may lower limits.timeout for
  // one call (the agent's wall-time deadline).
  tools::ToolContext tool_context(boost::asio::any_io_executor executor,
                                  tools::ToolSession* session) const;

 private:
  void check_named_tools(const std::vector<std::string>& unmatched,
                         const std::vector<std::string>& builtin_names) const;
  Config config_;
  net::NetworkPolicy policy_;
  std::shared_ptr<net::HttpClient> http_;
  tools::Registry registry_;
  std::filesystem::path workspace_;
  tools::ExecLimits limits_;
  std::shared_ptr<const tools::Secrets> secrets_;
  std::vector<std::string> warnings_;
  // The MCP servers; the registry's MCP tools share it, so they stop with the last of them.
  std::shared_ptr<mcp::Manager> mcp_;
};

}  // namespace ossa::runtime
