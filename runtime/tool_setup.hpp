#pragma once
// The tool registry an agent gets from its configuration: the built-in tools named in
// `tools` (python, browser, shell, apply_patch, ...) and the user tool files of `tool_dirs`.
#include "runtime/config.hpp"
#include "tools/registry.hpp"

namespace ossa::runtime {

// Names in cfg.tools that match no available tool are reported on stderr and skipped.
// Throws ConfigError for an unreadable or invalid tool file.
tools::Registry build_registry(const Config& cfg);

// The limits every sandboxed tool (python, shell, command tools) runs under: `[sandbox]
// memory_mib` and `policy`; the timeout is set per call.
tools::ExecLimits exec_limits(const Config& cfg);

}  // namespace ossa::runtime
