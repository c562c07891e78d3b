#include "tools/arguments.hpp"

#include <algorithm>
#include <optional>

#include "schemas/json_depth.hpp"
#include "tools/text.hpp"

namespace ossa::tools {
namespace {

using json = nlohmann::ordered_json;


std::optional<json> try_parse(std::string_view text) {
  json v = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return std::nullopt;
  return v;
}

// ```json\n...\n``` -> the inside.
std::optional<std::string_view> strip_fence(std::string_view s) {
  if (s.size() < 6 || s.substr(0, 3) != "```" || s.substr(s.size() - 3) != "```")
    return std::nullopt;
  auto nl = s.find('\n');
  if (nl == std::string_view::npos || nl >= s.size() - 3) return std::nullopt;
  return trim_ascii(s.substr(nl + 1, s.size() - 3 - nl - 1));
}

// One level of backslash escaping removed: \" -> ", \\ -> \, \n \t \r \/ kept as the two
// characters they stand for in JSON text (they are still valid escapes one level down only
// when they were doubled, which the \\ rule handles).
std::string unescape_once(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) {
      out.push_back(s[i + 1]);
      ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Length of the first complete JSON object at the start of `s` (string-aware brace matching),
// or npos.
std::size_t first_object_length(std::string_view s) {
  if (s.empty() || s.front() != '{') return std::string_view::npos;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

ParsedArguments accept(json v, std::string repair) {
  ParsedArguments r;
  if (!v.is_object()) {
    r.error = "the arguments must be a JSON object, got " +
              std::string(v.is_array() ? "an array" : v.is_string() ? "a string" : v.type_name());
    return r;
  }
  r.ok = true;
  r.value = std::move(v);
  r.repair = std::move(repair);
  return r;
}

// How deeply brackets nest in `text`, outside strings; stops counting past `limit`. Read from
// the text, before parsing: a value nested thousands deep is refused before anything (a copy,
// a validator) walks it recursively.
std::size_t bracket_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') deepest = std::max(deepest, ++depth);
    else if ((c == '}' || c == ']') && depth > 0) --depth;
    if (deepest > limit) break;
  }
  return deepest;
}

}  // namespace

ParsedArguments parse_arguments(std::string_view body) {
  std::string_view text = trim_ascii(body);
  if (text.empty()) return accept(json::object(), "");
  if (bracket_depth(text, schemas::kMaxJsonDepth) > schemas::kMaxJsonDepth) {
    ParsedArguments p;
    p.error = "the arguments nest deeper than " + std::to_string(schemas::kMaxJsonDepth) +
              " levels";
    return p;
  }
  std::string repair;
  if (auto inner = strip_fence(text)) {
    text = *inner;
    repair = "code fence removed";
    if (text.empty()) return accept(json::object(), repair);
  }
  auto with = [&](const std::string& step) { return repair.empty() ? step : repair + ", " + step; };

  if (auto v = try_parse(text)) {
    if (v->is_string()) {
      if (auto inner = try_parse(trim_ascii(v->get_ref<const std::string&>())); inner && inner->is_object())
        return accept(std::move(*inner), with("double-encoded"));
    }
    return accept(std::move(*v), repair);
  }
  if (text.find("\\\"") != std::string_view::npos) {
    std::string once = unescape_once(text);
    if (auto v = try_parse(once); v && v->is_object()) return accept(std::move(*v), with("over-escaped"));
  }
  if (std::size_t n = first_object_length(text); n != std::string_view::npos && n < text.size()) {
    if (auto v = try_parse(text.substr(0, n)); v && v->is_object())
      return accept(std::move(*v), with("trailing text dropped"));
  }

  ParsedArguments r;
  try {
    json ignored = json::parse(text.begin(), text.end());
    (void)ignored;
    r.error = "the arguments are not valid JSON";
  } catch (const json::parse_error& e) {
    // nlohmann's message carries the byte offset and what it expected.
    std::string what = e.what();
    auto pos = what.find("parse error");
    r.error = "the arguments are not valid JSON: " + (pos == std::string::npos ? what : what.substr(pos));
  }
  return r;
}

std::string unwrap_text_body(std::string_view body, std::initializer_list<std::string_view> keys) {
  std::string_view text = trim_ascii(body);
  if (text.empty() || (text.front() != '{' && text.front() != '"')) return std::string(body);
  auto v = try_parse(text);
  if (!v) return std::string(body);
  if (v->is_string()) return v->get<std::string>();
  if (v->is_object() && v->size() == 1 && v->begin().value().is_string()) {
    for (std::string_view k : keys)
      if (v->begin().key() == k) return v->begin().value().get<std::string>();
  }
  return std::string(body);
}

}  // namespace ossa::tools
