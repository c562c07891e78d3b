#include "runtime/tool_setup.hpp"

#include "runtime/log.hpp"

namespace ossa::runtime {

tools::Registry build_registry(const Config& cfg) {
  tools::Registry reg;
  // Built-in tools are added here as the tools module provides them; `retain` then keeps the
  // configured selection.
  for (const std::string& missing : reg.retain(cfg.tools))
    log::warn("tool `", missing, "` is not available in this build; skipped");
  return reg;
}

}  // namespace ossa::runtime
