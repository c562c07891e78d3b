#include "runtime/tool_setup.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "runtime/log.hpp"
#include "tools/browser/browser_tool.hpp"
#include "tools/builtins.hpp"
#include "tools/custom/tool_file.hpp"
#include "tools/mcp/manager.hpp"
#include "tools/net/http_request_tool.hpp"

namespace ossa::runtime {

std::vector<std::string> add_mcp_servers(tools::Registry& reg, const Config& cfg) {
  if (cfg.mcp_servers.empty()) return {};
  std::filesystem::path ws = cfg.workspace.empty() ? std::filesystem::current_path()
                                                   : std::filesystem::path(cfg.workspace);
  ws = std::filesystem::absolute(ws);
  // One manager per distinct server configuration and workspace, for as long as a registry
  // uses it: every session of the process reaches the same server processes.
  std::string key = ws.string() + '\n' + to_json(cfg)["mcp_servers"].dump();
  for (const auto& m : cfg.mcp_servers) {
    for (const auto& kv : m.env) key += '\n' + kv.first + '=' + kv.second;
    for (const auto& kv : m.headers) key += '\n' + kv.first + ':' + kv.second;
  }
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<mcp::Manager>> managers;
  std::shared_ptr<mcp::Manager> manager;
  {
    std::lock_guard lock(mu);
    manager = managers[key].lock();
    if (!manager) {
      // `${NAME}` in HTTP headers: only the declared secrets, each sent only to its hosts.
      std::shared_ptr<const tools::Secrets> secret;
      try {
        secret = std::make_shared<const tools::Secrets>(cfg.secrets);
      } catch (const std::invalid_argument& e) {
        throw ConfigError(e.what());
      }
      manager = std::make_shared<mcp::Manager>(cfg.mcp_servers, ws, secret);
      managers[key] = manager;
    }
  }
  return mcp::add_mcp_tools(reg, manager, manager->start_all());
}

tools::ExecLimits exec_limits(const Config& cfg) {
  tools::ExecLimits limits;
  limits.memory_mib = static_cast<std::size_t>(cfg.sandbox_memory_mib);
  limits.workspace_write_mib = static_cast<std::size_t>(cfg.sandbox_workspace_write_mib);
  limits.allow_degraded = cfg.sandbox_policy == "degraded";
  return limits;
}

tools::Registry build_registry(const Config& cfg) {
  tools::Registry reg;
  tools::BuiltinOptions bo;
  bo.python_timeout = std::chrono::milliseconds(static_cast<long long>(cfg.limits.tool_timeout_s * 1000));
  tools::add_builtin_tools(reg, bo);
  browser::BrowserSettings bs;
  bs.network_allowlist = cfg.network_allowlist;
  bs.search_backend = cfg.search_backend;
  browser::add_browser_tools(reg, browser::make_browser_config(bs));
  // functions.http_request is only kept when `tools` names it, and even then refuses every
  // call until the network allowlist has a rule for the target.
  net::HttpRequestToolSettings hs;
  hs.network_allowlist = cfg.network_allowlist;
  net::add_http_request_tool(reg, hs);
  // `tools` selects among the built-ins; tool files in `tool_dirs` are the user's own choice and
  // always load.
  for (const std::string& missing : reg.retain(cfg.tools))
    log::warn("tool `", missing, "` is not available in this build; skipped");

  tools::ToolFileOptions fo;
  fo.network_rules = cfg.network_allowlist;
  fo.secrets = std::make_shared<const tools::Secrets>(cfg.secrets);
  std::string errors;
  for (const std::string& dir : cfg.tool_dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      log::warn("tool folder ", dir, " does not exist; skipped");
      continue;
    }
    tools::LoadReport rep = tools::load_tool_dir(reg, dir, fo);
    for (const std::string& e : rep.errors) errors += (errors.empty() ? "" : "; ") + e;
    for (const std::string& r : rep.loaded) log::debug("tool ", r, " loaded from ", dir);
  }
  if (!errors.empty()) throw ConfigError("invalid tool files: " + errors);
  for (const std::string& w : add_mcp_servers(reg, cfg)) log::warn(w);
  return reg;
}

}  // namespace ossa::runtime
