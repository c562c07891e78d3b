#include "tools/custom/template.hpp"
#include "tools/net/url.hpp"

#include <cctype>

namespace ossa::tools::custom {
namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Calls on_text/on_name for the pieces of `tmpl`; `{` not followed by name characters and `}`
// is plain text.
template <class Text, class Name>
void scan(std::string_view tmpl, char sigil, Text on_text, Name on_name) {
  std::size_t i = 0;
  while (i < tmpl.size()) {
    std::size_t open = sigil ? tmpl.find(std::string{sigil, '{'}, i) : tmpl.find('{', i);
    if (open == std::string_view::npos) break;
    std::size_t name_start = open + (sigil ? 2 : 1);
    std::size_t j = name_start;
    while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
    if (j == name_start || j >= tmpl.size() || tmpl[j] != '}') {
      on_text(tmpl.substr(i, name_start - i));
      i = name_start;
      continue;
    }
    on_text(tmpl.substr(i, open - i));
    on_name(tmpl.substr(name_start, j - name_start));
    i = j + 1;
  }
  on_text(tmpl.substr(i));
}

}  // namespace

Expanded expand_arguments(std::string_view tmpl, const Json& args,
                          const std::function<std::string(std::string_view)>& encode,
                          const std::vector<std::pair<std::string, std::string>>& extra) {
  Expanded out;
  scan(
      tmpl, 0, [&](std::string_view t) { out.text += t; },
      [&](std::string_view name) {
        for (const auto& [k, v] : extra)
          if (k == name) {
            out.text += v;
            return;
          }
        std::string key(name);
        if (!args.is_object() || !args.contains(key) || args[key].is_null()) {
          out.missing.push_back(key);
          return;
        }
        const Json& v = args[key];
        out.text += encode(v.is_string() ? v.get<std::string>() : v.dump());
      });
  return out;
}

Expanded expand_secrets(std::string_view tmpl,
                        const std::function<std::optional<std::string>(std::string_view)>& secret) {
  Expanded out;
  scan(
      tmpl, '$', [&](std::string_view t) { out.text += t; },
      [&](std::string_view name) {
        std::optional<std::string> v = secret ? secret(name) : std::nullopt;
        if (!v) out.missing.emplace_back(name);
        else out.text += *v;
      });
  return out;
}

std::string url_encode(std::string_view s) { return net::percent_encode(s); }

std::vector<std::string> placeholders(std::string_view tmpl) {
  std::vector<std::string> names;
  scan(tmpl, 0, [](std::string_view) {}, [&](std::string_view n) { names.emplace_back(n); });
  return names;
}

}  // namespace ossa::tools::custom
