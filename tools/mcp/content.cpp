#include "tools/mcp/content.hpp"

#include <map>

namespace ossa::mcp {
namespace {

// Bytes a base64 text decodes to (padding and whitespace ignored).
std::size_t base64_bytes(const std::string& b64) {
  std::size_t n = 0;
  for (char c : b64)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '-' || c == '_') ++n;
  return n * 3 / 4;
}

std::string str(const Json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string describe_binary(const char* what, const std::string& mime, std::size_t bytes,
                            const std::string& uri) {
  std::string s = std::string("[") + what;
  if (!uri.empty()) s += " " + uri;
  s += ": " + (mime.empty() ? std::string("unknown type") : mime) + ", " + std::to_string(bytes) +
       " bytes; not shown: the content is binary]";
  return s;
}

// Whether every value of `j` (strings, numbers, booleans) is already written in `text`: then the
// text content is the server's rendering of the structured result and repeating it wastes context.
bool values_in_text(const Json& j, const std::string& text) {
  if (j.is_object() || j.is_array()) {
    for (const Json& v : j)
      if (!values_in_text(v, text)) return false;
    return true;
  }
  if (j.is_null()) return true;
  std::string v = j.is_string() ? j.get<std::string>() : j.dump();
  return text.find(v) != std::string::npos;
}

}  // namespace

tools::ToolResult render_call_result(const Json& result, std::size_t max_bytes) {
  std::string text;
  std::map<std::string, int> counts;
  auto add = [&](const std::string& part) {
    if (!text.empty()) text += "\n";
    text += part;
  };
  bool text_is_structured = false;
  const Json* structured = nullptr;
  if (auto it = result.find("structuredContent"); it != result.end() && !it->is_null())
    structured = &*it;

  if (auto it = result.find("content"); it != result.end() && it->is_array()) {
    for (const Json& item : *it) {
      if (!item.is_object()) continue;
      std::string type = str(item, "type");
      ++counts[type.empty() ? "unknown" : type];
      if (type == "text") {
        std::string t = str(item, "text");
        if (structured && Json::parse(t, nullptr, false) == *structured) text_is_structured = true;
        add(t);
      } else if (type == "image" || type == "audio") {
        add(describe_binary(type.c_str(), str(item, "mimeType"), base64_bytes(str(item, "data")), {}));
      } else if (type == "resource" && item.contains("resource") && item["resource"].is_object()) {
        const Json& r = item["resource"];
        std::string uri = str(r, "uri"), mime = str(r, "mimeType");
        if (r.contains("text")) {
          add("[resource " + uri + (mime.empty() ? "" : " (" + mime + ")") + "]\n" + str(r, "text"));
        } else {
          add(describe_binary("resource", mime, base64_bytes(str(r, "blob")), uri));
        }
      } else if (type == "resource_link") {
        std::string s = "[resource link: " + str(item, "uri");
        if (!str(item, "name").empty()) s += " \"" + str(item, "name") + "\"";
        if (!str(item, "mimeType").empty()) s += " (" + str(item, "mimeType") + ")";
        if (!str(item, "description").empty()) s += " — " + str(item, "description");
        add(s + "]");
      } else {
        add("[content of type `" + type + "` not shown]");
      }
    }
  }
  if (structured && !text_is_structured && !(counts.count("text") && values_in_text(*structured, text)))
    add("structured result: " + structured->dump(-1, ' ', false, Json::error_handler_t::replace));
  if (text.empty()) text = "(the tool returned no content)";

  Json meta = Json::object();
  Json c = Json::object();
  for (const auto& [k, v] : counts) c[k] = v;
  meta["content"] = c;
  if (structured) meta["structured"] = true;
  if (text.size() > max_bytes) {
    std::size_t dropped = text.size() - max_bytes;
    // Cut on a UTF-8 boundary so the model never gets half a character.
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "\n[... " + std::to_string(dropped) + " more bytes of the result not shown ...]";
    meta["bytes_dropped"] = dropped;
  }
  auto ie = result.find("isError");
  bool is_error = ie != result.end() && ie->is_boolean() && ie->get<bool>();
  return is_error ? tools::ToolResult::failure(std::move(text), std::move(meta))
                  : tools::ToolResult::success(std::move(text), std::move(meta));
}

}  // namespace ossa::mcp
