#pragma once
// How a page is shown to the model (simple_browser_tool.py): text wrapped at 80 columns, lines
// numbered `L{n}: `, a window from `loc` cut at a token budget, under the header
//
//   [<cursor>] <title> (<url>)
//   **viewing lines [<first> - <last>] of <total-1>**
//
// and find-in-page, which makes a results page whose links point back at the matches.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/browser/page.hpp"

namespace ossa::browser {

// Counts model tokens in a text. The runtime passes the o200k tokenizer; the default estimate
// (one token per 4 bytes, at least one per line) is close for English prose.
using TokenCounter = std::function<std::size_t(std::string_view)>;
std::size_t estimate_tokens(std::string_view text);

// textwrap.wrap(width=80, replace_whitespace=False, drop_whitespace=False) per line, with empty
// lines kept; widths count code points.
std::vector<std::string> wrap_lines(std::string_view text, std::size_t width = 80);

struct ViewOptions {
  std::size_t view_tokens = 1024;  // window budget when num_lines <= 0
  TokenCounter count_tokens;       // null = estimate_tokens
};

// The display of `page` at `cursor`; nullopt with *error set when `loc` is past the end
// ("Invalid location parameter: `loc`. Cannot exceed page maximum of N.").
std::optional<std::string> render_page(const Page& page, int cursor, int loc, int num_lines,
                                       const ViewOptions& opts, std::string* error);

// The page text with link markers reduced to their text (what find searches).
std::string strip_link_markers(std::string_view text);

// Find results for `pattern` (case-insensitive) in `page`: blocks "# 【i†match at L<n>】" + 4
// lines, at most `max_results`.
Page find_in_page(const Page& page, std::string_view pattern, int max_results = 50);

}  // namespace ossa::browser
