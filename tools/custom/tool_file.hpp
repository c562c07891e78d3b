#pragma once
// User-defined tools from JSON files (format: schemas/tool.schema.json). Example:
//
//   {"name": "get_weather", "description": "Current weather for a city.",
//    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
//                   "required": ["city"]},
//    "http": {"method": "GET", "url": "http://127.0.0.1:8080/weather?city={city}",
//             "headers": {"Authorization": "Bearer ${WEATHER_TOKEN}"},
//             "allow": ["http://127.0.0.1:8080"]}}
//
// or a "command" binding ({"argv": ["/usr/bin/python3", "{tool_dir}/count.py"]}: arguments as
// JSON on stdin, stdout is the result, run in the sandbox with the workspace at /mnt/data, tools::kWorkspaceMount).
// Every problem in a file is reported as "<file>: field `x.y`: <what is wrong>".
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tools/net/http_client.hpp"
#include "tools/registry.hpp"
#include "tools/tool.hpp"

namespace ossa::tools {

struct ToolFileOptions {
  // Network policy rules every http tool may use (the runtime's allowlist), besides the
  // tool file's own `allow` list.
  std::vector<std::string> network_rules;
  // The declared secrets `${NAME}` in http headers may name; any other name, or a secret not
  // bound to the URL's host, is an error in the file. Null: none declared.
  std::shared_ptr<const Secrets> secrets;
  // The runtime's shared HTTP client for http tools; null: each tool makes its own.
  std::shared_ptr<net::HttpClient> http_client;
};

struct LoadedTool {
  std::shared_ptr<Tool> tool;  // null when the file has errors
  std::vector<std::string> errors;
};

// Parses and validates one tool definition. `origin` names it in errors (the file path);
// `tool_dir` is the folder that {tool_dir} expands to.
LoadedTool tool_from_json(const Json& definition, const std::string& origin,
                          const std::filesystem::path& tool_dir, const ToolFileOptions& options = {});
LoadedTool load_tool_file(const std::filesystem::path& file, const ToolFileOptions& options = {});

struct LoadReport {
  std::vector<std::string> loaded;  // recipients added
  std::vector<std::string> errors;  // one line per problem, naming file and field
};
// Loads every *.json in `dir` (sorted by name) into `registry`. A broken file is skipped and
// reported; the others still load.
LoadReport load_tool_dir(Registry& registry, const std::filesystem::path& dir,
                         const ToolFileOptions& options = {});

}  // namespace ossa::tools
