#include "tools/custom/template.hpp"
#include "tools/net/url.hpp"

#include <algorithm>
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

Expanded expand_url(std::string_view tmpl, const Json& args) {
  Expanded out;
  std::vector<bool> from_argument;  // per byte of out.text
  auto append = [&](std::string_view t, bool arg) {
    out.text += t;
    from_argument.insert(from_argument.end(), t.size(), arg);
  };
  scan(
      tmpl, 0, [&](std::string_view t) { append(t, false); },
      [&](std::string_view name) {
        std::string key(name);
        if (!args.is_object() || !args.contains(key) || args[key].is_null()) {
          out.missing.push_back(key);
          return;
        }
        const Json& v = args[key];
        append(url_encode(v.is_string() ? v.get<std::string>() : v.dump()), true);
      });
  // The path runs from the first `/` after the authority to `?` or `#`.
  const std::string& u = out.text;
  std::size_t start = 0;
  if (auto scheme_end = u.find("://"); scheme_end != std::string::npos)
    start = u.find('/', scheme_end + 3);
  if (start == std::string::npos) return out;
  std::size_t end = u.find_first_of("?#", start);
  if (end == std::string::npos) end = u.size();
  std::string rebuilt = u.substr(0, start);
  for (std::size_t i = start; i < end;) {
    std::size_t seg_end = u.find('/', i + 1);
    if (seg_end == std::string::npos || seg_end > end) seg_end = end;
    std::size_t b = u[i] == '/' ? i + 1 : i;
    std::string_view seg(u.data() + b, seg_end - b);
    bool argued = std::find(from_argument.begin() + static_cast<std::ptrdiff_t>(b),
                            from_argument.begin() + static_cast<std::ptrdiff_t>(seg_end),
                            true) != from_argument.begin() + static_cast<std::ptrdiff_t>(seg_end);
    rebuilt.append(u, i, b - i);
    if (argued && (seg == "." || seg == "..")) {
      for (std::size_t k = 0; k < seg.size(); ++k) rebuilt += "%2E";
    } else {
      rebuilt += seg;
    }
    i = seg_end;
  }
  rebuilt.append(u, end, std::string::npos);
  out.text = std::move(rebuilt);
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
