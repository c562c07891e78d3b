#include "runtime/tool_setup.hpp"

#include "runtime/log.hpp"
#include "tools/browser/browser_tool.hpp"

namespace ossa::runtime {

tools::Registry build_registry(const Config& cfg) {
  tools::Registry reg;
  browser::BrowserSettings bs;
  bs.network_allowlist = cfg.network_allowlist;
  bs.search_backend = cfg.search_backend;
  browser::add_browser_tools(reg, browser::make_browser_config(bs));
  for (const std::string& missing : reg.retain(cfg.tools))
    log::warn("tool `", missing, "` is not available in this build; skipped");
  return reg;
}

}  // namespace ossa::runtime
