#include "tools/browser/page_view.hpp"

#include <algorithm>
#include <cctype>

#include "tools/net/url.hpp"

namespace ossa::browser {
namespace {

std::size_t cp_len(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Byte offset after the first `cps` code points of s.
std::size_t cp_prefix(std::string_view s, std::size_t cps) {
  std::size_t i = 0, n = 0;
  while (i < s.size()) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == cps) return i;
      ++n;
    }
    ++i;
  }
  return s.size();
}

bool ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string expand_tabs(std::string_view line) {
  std::string out;
  std::size_t col = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\t') {
      std::size_t n = 8 - col % 8;
      out.append(n, ' ');
      col += n;
    } else {
      out += c;
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++col;
    }
  }
  return out;
}

// textwrap's chunking: whitespace runs, and words split after hyphens between letters.
std::vector<std::string> chunks_of(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t j = i;
    if (ws(static_cast<unsigned char>(line[i]))) {
      while (j < line.size() && ws(static_cast<unsigned char>(line[j]))) ++j;
    } else {
      while (j < line.size() && !ws(static_cast<unsigned char>(line[j]))) {
        ++j;
        if (line[j - 1] == '-' && j - 1 > i && j < line.size() &&
            std::isalpha(static_cast<unsigned char>(line[j - 2])) &&
            std::isalpha(static_cast<unsigned char>(line[j])))
          break;
      }
    }
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string truncate_chars(std::string s, std::size_t n) {
  if (cp_len(s) > n) s = s.substr(0, cp_prefix(s, n - 3)) + "...";
  return s;
}

}  // namespace

std::size_t estimate_tokens(std::string_view text) {
  std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  return std::max(lines, (text.size() + 3) / 4);
}

std::vector<std::string> wrap_lines(std::string_view text, std::size_t width) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto nl = text.find('\n', start);
    std::string_view raw = text.substr(start, nl == std::string_view::npos ? text.npos : nl - start);
    if (raw.empty()) {
      out.emplace_back();
    } else {
      auto chunks = chunks_of(expand_tabs(raw));
      std::reverse(chunks.begin(), chunks.end());
      while (!chunks.empty()) {
        std::string cur;
        std::size_t cur_len = 0;
        while (!chunks.empty()) {
          std::size_t l = cp_len(chunks.back());
          if (cur_len + l > width) break;
          cur += chunks.back();
          cur_len += l;
          chunks.pop_back();
        }
        if (!chunks.empty() && cp_len(chunks.back()) > width) {
          // A chunk longer than a line is broken to fill the rest of this one.
          std::size_t space_left = width > cur_len ? width - cur_len : 1;
          std::string& big = chunks.back();
          std::size_t cut = cp_prefix(big, space_left);
          cur += big.substr(0, cut);
          big = big.substr(cut);
        }
        if (!cur.empty()) out.push_back(std::move(cur));
      }
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::optional<std::string> render_page(const Page& page, int cursor, int loc, int num_lines,
                                       const ViewOptions& opts, std::string* error) {
  auto lines = wrap_lines(page.text);
  int total = static_cast<int>(lines.size());
  if (loc < 0) loc = 0;
  if (loc >= total) {
    if (error)
      *error = "Invalid location parameter: `" + std::to_string(loc) +
               "`. Cannot exceed page maximum of " + std::to_string(total - 1) + ".";
    return std::nullopt;
  }
  auto numbered = [&](int i) {
    std::string s(1, 'L');
    s += std::to_string(i);
    s += ": ";
    s += lines[static_cast<std::size_t>(i)];
    return s;
  };
  int end = total;
  if (num_lines > 0) {
    end = std::min(total, loc + num_lines);
  } else {
    const TokenCounter& count = opts.count_tokens ? opts.count_tokens : TokenCounter(estimate_tokens);
    std::size_t used = 0;
    for (int i = loc; i < total; ++i) {
      used += count(numbered(i) + "\n");
      if (used >= opts.view_tokens) {  // the line holding the budget's last token is shown whole
        end = i + 1;
        break;
      }
    }
  }
  std::string body;
  for (int i = loc; i < end; ++i) {
    if (i > loc) body += '\n';
    body += numbered(i);
  }
  std::string header = "[" + std::to_string(cursor) + "] " + page.title;
  std::string shown_url = truncate_chars(net::percent_decode(page.url), 1024);
  if (!shown_url.empty()) header += " (" + shown_url + ")";
  header += "\n**viewing lines [" + std::to_string(loc) + " - " + std::to_string(end - 1) +
            "] of " + std::to_string(total - 1) + "**\n\n";
  return header + body;
}

std::string strip_link_markers(std::string_view text) {
  // 【id†text】 / 【id†text†domain】 -> text; a marker cut by wrapping at either end too.
  std::string out;
  std::size_t i = 0;
  const std::string open = "【", close = "】", dagger = "†";
  // A line may start inside a marker cut by wrapping: drop up to its 】.
  auto first_close = text.find(close);
  auto first_open = text.find(open);
  if (first_close != std::string_view::npos && (first_open == std::string_view::npos || first_close < first_open))
    i = first_close + close.size();
  while (i < text.size()) {
    auto o = text.find(open, i);
    if (o == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, o - i);
    std::size_t p = o + open.size();
    std::size_t d = p;
    while (d < text.size() && std::isdigit(static_cast<unsigned char>(text[d]))) ++d;
    if (text.substr(d, dagger.size()) != dagger) {
      out += open;
      i = p;
      continue;
    }
    std::size_t content = d + dagger.size();
    auto c = text.find(close, content);
    auto d2 = text.find(dagger, content);
    std::size_t content_end = std::min({c, d2, text.size()});
    out += text.substr(content, content_end - content);
    if (c == std::string_view::npos) break;  // marker cut at the end: keep its text
    i = c + close.size();
  }
  return out;
}

Page find_in_page(const Page& page, std::string_view pattern_in, int max_results) {
  std::string pattern = lower_ascii(pattern_in);
  // Markers are stripped from the joined text so one cut by wrapping is still recognised.
  std::string joined;
  for (const auto& l : wrap_lines(page.text)) {
    joined += l;
    joined += '\n';
  }
  if (!joined.empty()) joined.pop_back();
  std::string stripped = strip_link_markers(joined);
  std::vector<std::string> lines;
  for (std::size_t start = 0;;) {
    auto nl = stripped.find('\n', start);
    lines.push_back(stripped.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::string text;
  Page result;
  result.snippets.emplace();
  int match = 0;
  for (std::size_t i = 0; i < lines.size();) {
    if (lower_ascii(lines[i]).find(pattern) == std::string::npos) {
      ++i;
      continue;
    }
    std::string snippet;
    for (std::size_t k = i; k < std::min(lines.size(), i + 4); ++k) {
      if (k > i) snippet += '\n';
      snippet += lines[k];
    }
    if (!text.empty()) text += "\n\n";
    text += "# 【" + std::to_string(match) + "†match at L" + std::to_string(i) + "】\n" + snippet;
    result.links.push_back(page.url);
    (*result.snippets)[match] = Snippet{page.url, snippet, static_cast<int>(i)};
    ++match;
    if (match == max_results) break;
    i += 4;
  }
  result.url = page.url + "/find?pattern=" + net::percent_encode(pattern);
  result.title = "Find results for text: `" + pattern + "` in `" + page.title + "`";
  result.text = match ? text : "No `find` results for pattern: `" + pattern + "`";
  return result;
}

}  // namespace ossa::browser
