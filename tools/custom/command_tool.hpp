#pragma once
// A user tool bound to a program run in the sandbox (tool_file.hpp, "command" binding).
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tools/tool.hpp"

namespace ossa::tools::custom {

struct CommandBinding {
  std::vector<std::string> argv;  // templates
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::filesystem::path> read_only;  // the tool's folder and any extra paths
  std::filesystem::path tool_dir;
  std::optional<std::size_t> memory_mib;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::size_t> max_output_bytes;
};

std::shared_ptr<Tool> make_command_tool(ToolSpec spec, CommandBinding binding);

}  // namespace ossa::tools::custom
