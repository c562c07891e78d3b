#pragma once
// Applying an apply_patch patch (patch.hpp) to a workspace, all files or none, and the
// `functions.apply_patch` tool that does it for the model.
//
// Paths are relative to the workspace (an absolute path is accepted only when it lies inside
// it); `..`, and symlinks leading out of the workspace, are refused. Every change is computed
// in memory first; only when all chunks of all files apply are files written (each through a
// temporary file and rename), and a failure while writing restores what was already changed.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tools/tool.hpp"

namespace ossa::tools {

struct PatchReport {
  bool ok = false;
  std::string message;  // "Done! ..." summary, or the error (nothing was changed)
  std::vector<std::string> added, modified, deleted;  // workspace-relative paths
};

PatchReport apply_patch(const std::filesystem::path& workspace, std::string_view patch_text);

// functions.apply_patch: raw patch body (a JSON object or string wrapping it is unwrapped).
std::shared_ptr<Tool> make_apply_patch_tool();

}  // namespace ossa::tools
