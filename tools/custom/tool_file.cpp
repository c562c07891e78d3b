#include "tools/custom/tool_file.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "schemas/json_depth.hpp"
#include "schemas/schemas.hpp"
#include "tools/custom/command_tool.hpp"
#include "tools/custom/http_tool.hpp"
#include "tools/net/url.hpp"
#include "tools/secrets.hpp"
#include "tools/schema_validator.hpp"

namespace ossa::tools {
namespace {

namespace fs = std::filesystem;

const SchemaValidator& tool_file_validator() {
  static const SchemaValidator v(Json::parse(ossa::schemas::get("tool.schema.json")));
  return v;
}

}  // namespace

LoadedTool tool_from_json(const Json& def, const std::string& origin, const fs::path& tool_dir,
                          const ToolFileOptions& options) {
  LoadedTool out;
  auto error = [&](const std::string& what) { out.errors.push_back(origin + ": " + what); };
  if (!def.is_object()) {
    error("a tool file holds one JSON object");
    return out;
  }
  // Before the validator walks it recursively: a tool's own levels above its parameters schema
  // (parameters, the binding's fields) and the schema's bound.
  constexpr std::size_t kMaxDepth = ossa::schemas::kMaxJsonDepth + 4;
  if (ossa::schemas::json_depth(def, kMaxDepth) > kMaxDepth) {
    error("the definition nests deeper than " + std::to_string(kMaxDepth) +
          " levels (parameters schemas are limited to " +
          std::to_string(ossa::schemas::kMaxJsonDepth) + ")");
    return out;
  }
  // The binding is a choice of two; say so plainly rather than as a failed oneOf.
  if (!def.contains("command") && !def.contains("http")) error("needs a `command` or an `http` binding");
  if (def.contains("command") && def.contains("http")) error("has both `command` and `http`; keep one");
  for (std::string& e : tool_file_validator().validate(def, "field"))
    if (e.find("allowed forms") == std::string::npos) error(e);
  if (!out.errors.empty()) return out;

  ToolSpec spec;
  spec.ns = def.value("namespace", std::string("functions"));
  spec.name = def["name"].get<std::string>();
  spec.description = def["description"].get<std::string>();
  spec.parameters = def.contains("parameters") ? def["parameters"] : Json(nullptr);
  spec.needs_approval = def.value("needs_approval", false);
  if (!spec.parameters.is_null()) {
    try {
      SchemaValidator check(spec.parameters);
    } catch (const std::exception& e) {
      error(std::string("field `parameters`: ") + e.what());
      return out;
    }
  }
  std::optional<std::chrono::milliseconds> timeout;
  if (def.contains("timeout_ms")) timeout = std::chrono::milliseconds(def["timeout_ms"].get<long long>());
  std::optional<std::size_t> max_output;
  if (def.contains("max_output_bytes")) max_output = def["max_output_bytes"].get<std::size_t>();

  if (def.contains("command")) {
    const Json& c = def["command"];
    custom::CommandBinding b;
    b.argv = c["argv"].get<std::vector<std::string>>();
    if (c.contains("env"))
      for (auto it = c["env"].begin(); it != c["env"].end(); ++it)
        b.env.emplace_back(it.key(), it.value().get<std::string>());
    b.tool_dir = tool_dir;
    if (!tool_dir.empty()) b.read_only.push_back(tool_dir);
    if (c.contains("read_only"))
      for (const auto& p : c["read_only"]) {
        fs::path path(p.get<std::string>());
        if (!path.is_absolute()) path = tool_dir / path;
        if (!fs::exists(path)) error("field `command.read_only`: `" + path.string() + "` does not exist");
        b.read_only.push_back(path);
      }
    if (c.contains("memory_mib")) b.memory_mib = c["memory_mib"].get<std::size_t>();
    b.timeout = timeout;
    b.max_output_bytes = max_output;
    if (!out.errors.empty()) return out;
    out.tool = custom::make_command_tool(std::move(spec), std::move(b));
    return out;
  }

  const Json& h = def["http"];
  custom::HttpBinding b;
  b.method = h.value("method", std::string("GET"));
  b.url = h["url"].get<std::string>();
  if (h.contains("headers"))
    for (auto it = h["headers"].begin(); it != h["headers"].end(); ++it)
      b.headers.emplace_back(it.key(), it.value().get<std::string>());
  std::string body = h.value("body", std::string());
  b.json_body = body.empty() ? (b.method == "POST" || b.method == "PUT" || b.method == "PATCH")
                             : body == "arguments";
  // Every `${NAME}` must be a declared secret, bound to the URL's host when the URL names it.
  std::optional<net::Url> url = net::parse_url(b.url);
  bool literal_host = url && url->host.find('{') == std::string::npos;
  for (const auto& [header, value] : b.headers) {
    for (const std::string& name : secret_placeholders(value)) {
      std::string why = "the secret `" + name + "` is not declared";
      bool ok = false;
      if (options.secrets && !options.secrets->declared(name))
        options.secrets->bound(name, "", "", 0, &why);  // the "not declared" sentence
      else if (options.secrets && literal_host)
        ok = options.secrets->bound(name, url->scheme, url->host, url->port, &why);
      else
        ok = options.secrets != nullptr;  // checked per call, against the expanded URL
      if (!ok)
        error("field `http.headers." + header + "`: " + why +
              "; declare it under [secrets." + name + "] with the hosts it may be sent to");
    }
  }
  if (!out.errors.empty()) return out;
  b.rules = options.network_rules;
  if (h.contains("allow"))
    for (const auto& r : h["allow"]) b.rules.push_back(r.get<std::string>());
  b.timeout = timeout;
  b.max_output_bytes = max_output;
  try {
    out.tool = custom::make_http_tool(std::move(spec), std::move(b), options.http_client);
  } catch (const std::exception& e) {
    error(std::string("field `http.allow`: ") + e.what());
  }
  return out;
}

LoadedTool load_tool_file(const fs::path& file, const ToolFileOptions& options) {
  LoadedTool out;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    out.errors.push_back(file.string() + ": cannot be read");
    return out;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  Json def = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (def.is_discarded()) {
    std::string why = "not valid JSON";
    try {
      Json again = Json::parse(ss.str());
      (void)again;
    } catch (const Json::parse_error& e) {
      why += ": " + std::string(e.what());
    }
    out.errors.push_back(file.string() + ": " + why);
    return out;
  }
  std::error_code ec;
  fs::path dir = fs::absolute(file, ec).parent_path();
  return tool_from_json(def, file.string(), dir, options);
}

LoadReport load_tool_dir(Registry& registry, const fs::path& dir, const ToolFileOptions& options) {
  LoadReport report;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    report.errors.push_back(dir.string() + ": not a directory");
    return report;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    LoadedTool t = load_tool_file(f, options);
    for (auto& e : t.errors) report.errors.push_back(std::move(e));
    if (!t.tool) continue;
    try {
      registry.add(t.tool);
      report.loaded.push_back(t.tool->spec().recipient());
    } catch (const std::exception& e) {
      report.errors.push_back(f.string() + ": " + e.what());
    }
  }
  return report;
}

}  // namespace ossa::tools
