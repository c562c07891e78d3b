#pragma once
// HTML -> the text gpt-oss's browser shows (gpt_oss/tools/simple_browser/page_contents.py,
// process_html): links become 【id†text】 (same site) or 【id†text†domain】 markers numbered per
// distinct URL in document order, images [Image N: alt], <sup>/<sub> ^{x}/_{x}, <math> dropped,
// block structure as html2text lays it out (headings "# ", list items "  * "), no wrapping,
// blank runs collapsed. Lenient on any input (gumbo parses like a browser).
#include <string>
#include <string_view>

#include "tools/browser/page.hpp"

namespace ossa::browser {

// `url` resolves relative links and decides same-site vs other-site markers; `title` overrides
// the document's <title> when non-empty. `display_url` prepends "\nURL: <url>\n" as the
// reference backends do.
Page html_to_page(std::string_view html, std::string_view url, std::string_view title = {},
                  bool display_url = true);

// Plain text or Markdown -> a page (no markers); bracket characters neutralised the same way.
Page text_to_page(std::string_view text, std::string_view url, std::string_view title,
                  bool display_url = true);

// The host[:port] of an absolute URL ("" when it has none), as link markers show it.
std::string url_domain(std::string_view url);

// Replaces 【 】 ◼ by look-alikes and drops zero-width spaces and characters outside the Basic
// Multilingual Plane, so page text cannot fake link or citation markers.
std::string neutralise_markers(std::string_view text);

}  // namespace ossa::browser
