#include "runtime/harmony/header_parser.hpp"

#include <string_view>
#include <vector>

namespace ossa::harmony {
namespace {

constexpr std::string_view kChannel = "<|channel|>";
constexpr std::string_view kConstrain = "<|constrain|>";

// Byte length of the Unicode White_Space character at s[i], 0 if there is none (Rust's
// char::is_whitespace, which str::trim uses).
size_t whitespace_at(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D)) return 1;
  if (c == 0xC2 && i + 1 < s.size()) {
    const auto d = static_cast<unsigned char>(s[i + 1]);
    return d == 0x85 || d == 0xA0 ? 2 : 0;
  }
  if ((c == 0xE1 || c == 0xE2 || c == 0xE3) && i + 2 < s.size()) {
    const uint32_t cp = ((c & 0x0Fu) << 12) |
                        ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                        (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x202F || cp == 0x205F || cp == 0x3000)
      return 3;
  }
  return 0;
}

std::string trim(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t n = whitespace_at(s, b);
    if (!n) break;
    b += n;
  }
  size_t e = s.size();
  // Scan backwards for whitespace characters by re-scanning from the last char boundary.
  while (e > b) {
    size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t n = whitespace_at(s, start);
    if (n == 0 || start + n != e) break;
    e = start;
  }
  return std::string(s.substr(b, e - b));
}

bool ascii_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

struct Word {
  std::string_view text;
  size_t offset;
};

std::vector<Word> split_ascii_ws(std::string_view s) {
  std::vector<Word> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && ascii_ws(s[i])) ++i;
    size_t b = i;
    while (i < s.size() && !ascii_ws(s[i])) ++i;
    if (i > b) out.push_back({s.substr(b, i - b), b});
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

// Cuts "<|channel|>value" out of `text`; nullopt channel when the marker is absent. `empty`
// tells whether the marker was present without a value.
std::optional<std::string> cut_channel(std::string& text, bool& empty) {
  empty = false;
  const size_t idx = text.find(kChannel);
  if (idx == std::string::npos) return std::nullopt;
  const size_t vb = idx + kChannel.size();
  size_t ve = vb;
  while (ve < text.size() && text[ve] != '<' && whitespace_at(text, ve) == 0) ++ve;
  std::string value = text.substr(vb, ve - vb);
  text = text.substr(0, idx) + text.substr(ve);
  if (value.empty()) {
    empty = true;
    return std::nullopt;
  }
  return value;
}

std::string join_words(const std::vector<Word>& w, size_t from) {
  std::string out;
  for (size_t i = from; i < w.size(); ++i) {
    if (i > from) out += ' ';
    out += w[i].text;
  }
  return out;
}

}  // namespace

std::string rust_debug_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          static const char* hex = "0123456789abcdef";
          out += "\\u{";
          if (c >= 16) out += hex[c >> 4];
          out += hex[c & 15];
          out += "}";
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

Result<ParsedHeader> parse_header_reference(std::string text, std::optional<Role> role,
                                            bool parse_recipient) {
  ParsedHeader out;
  bool empty_channel = false;
  out.header.channel = cut_channel(text, empty_channel);
  if (empty_channel) return Error{"channel marker present but no channel value found in header"};
  text = trim(text);
  if (text.find(kConstrain) != std::string::npos) {
    replace_all(text, kConstrain, " <|constrain|>");
    text = trim(text);
  }
  std::vector<Word> parts = split_ascii_ws(text);
  size_t first = 0;  // parts[first..] are the words still to interpret
  std::optional<std::string> author_word;
  Role r;
  if (role) {
    r = *role;
  } else {
    if (parts.empty()) return Error{"message header did not contain a role"};
    author_word = std::string(parts[0].text);
    if (auto known = parse_role(parts[0].text)) {
      r = *known;
    } else if (parts.size() > 1 || starts_with(parts[0].text, "to=")) {
      ++first;  // an unknown author addressed to someone is a tool answering
      r = Role::Tool;
    } else {
      return Error{"Unknown role: " + *author_word};
    }
  }
  if (first < parts.size() && parts[first].text == to_string(r)) ++first;
  out.header.role = r;
  if (r == Role::Tool) out.header.name = author_word;

  size_t end = parts.size();
  if (parse_recipient && first < end) {
    const size_t n = end - first;
    std::string_view last = parts[--end].text;
    if (starts_with(last, "to=")) {
      out.header.recipient = std::string(last.substr(3));
    } else if (n == 1) {
      out.header.recipient = std::string(last);
    } else {
      out.header.content_type = std::string(last);
      if (first < end) {
        std::string_view raw = parts[--end].text;
        if (starts_with(raw, "to=")) raw.remove_prefix(3);
        out.header.recipient = std::string(raw);
      }
    }
  }
  if (first < end) {
    parts.resize(end);
    out.rest = join_words(parts, first);
  }
  return out;
}

Result<ParsedHeader> parse_header_tolerant(std::string text, std::optional<Role> role,
                                           bool saw_message) {
  ParsedHeader out;
  bool empty_channel = false;
  out.header.channel = cut_channel(text, empty_channel);  // an empty channel is just absent
  replace_all(text, kConstrain, " <|constrain|>");
  std::vector<Word> words = split_ascii_ws(text);
  size_t i = 0;
  Role r = Role::Assistant;
  if (role) {
    r = *role;
    if (i < words.size() && words[i].text == to_string(r)) ++i;
  } else {
    if (words.empty()) return Error{"message header did not contain a role"};
    std::string_view w = words[0].text;
    const size_t colon = w.find(':');
    if (auto known = parse_role(w.substr(0, colon))) {
      r = *known;
      if (colon != std::string_view::npos && colon + 1 < w.size())
        out.header.name = std::string(w.substr(colon + 1));
    } else if (words.size() > 1 || starts_with(w, "to=")) {
      r = Role::Tool;
      out.header.name = std::string(w);
    } else {
      return Error{"Unknown role: " + std::string(w)};
    }
    ++i;
  }
  out.header.role = r;

  // Header fields in any order; the first word that is none of them ends the header.
  std::vector<size_t> others;
  for (; i < words.size(); ++i) {
    std::string_view w = words[i].text;
    if (starts_with(w, "to=") && w.size() > 3 && !out.header.recipient) {
      out.header.recipient = std::string(w.substr(3));
      continue;
    }
    if (starts_with(w, kConstrain) && !out.header.content_type) {
      std::string_view type = w.substr(kConstrain.size());
      // "<|constrain|> json" (spaced) or a bare "<|constrain|>": harmony only constrains JSON.
      if (type.empty() && i + 1 < words.size() && words[i + 1].text == "json") ++i;
      out.header.content_type = std::string(kConstrain) + std::string(type.empty() ? "json" : type);
      continue;
    }
    if (!saw_message && (w == "json" || w == "code") && !out.header.content_type &&
        i + 1 < words.size()) {
      out.header.content_type = std::string(w);
      continue;
    }
    if (saw_message) {
      others.push_back(i);
      continue;
    }
    break;  // content starts here (no <|message|> was written)
  }
  if (!saw_message) {
    if (i < words.size()) out.rest = text.substr(words[i].offset);
    return out;
  }
  // With <|message|>: leftover words follow the reference's positional rules (a lone word is
  // the recipient, two words are recipient + content type).
  auto take = [&](size_t k) { return std::string(words[others[k]].text); };
  auto strip_to = [](std::string s) { return s.rfind("to=", 0) == 0 ? s.substr(3) : s; };
  if (others.size() == 1) {
    if (!out.header.recipient) out.header.recipient = strip_to(take(0));
    else if (!out.header.content_type) out.header.content_type = take(0);
    else return Error{"unexpected words in message header: " + take(0)};
  } else if (others.size() == 2 && !out.header.recipient && !out.header.content_type) {
    out.header.recipient = strip_to(take(0));
    out.header.content_type = take(1);
  } else if (!others.empty()) {
    return Error{"unexpected words in message header: " + text};
  }
  return out;
}

}  // namespace ossa::harmony
