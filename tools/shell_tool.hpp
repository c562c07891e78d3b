#pragma once
// functions.shell: runs a command in the workspace sandbox (workspace at /mnt/data, the
// working directory; no network) and reports exit code, stdout, stderr and wall time. Arguments
// follow the Codex shell tool the gpt-oss models know: {"command": ["bash", "-lc", "ls"],
// "workdir": "sub/dir", "timeout_ms": 10000}.
#include <memory>

#include "tools/tool.hpp"

namespace ossa::tools {

std::shared_ptr<Tool> make_shell_tool();

}  // namespace ossa::tools
