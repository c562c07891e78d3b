#include "runtime/tool_setup.hpp"

#include <chrono>
#include <filesystem>

#include "runtime/log.hpp"
#include "tools/browser/browser_tool.hpp"
#include "tools/builtins.hpp"
#include "tools/custom/tool_file.hpp"
#include "tools/net/http_request_tool.hpp"

namespace ossa::runtime {

tools::ExecLimits exec_limits(const Config& cfg) {
  tools::ExecLimits limits;
  limits.memory_mib = static_cast<std::size_t>(cfg.sandbox_memory_mib);
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
  return reg;
}

}  // namespace ossa::runtime
