#pragma once
// A page as the browser tool keeps it: model-readable text with numbered link markers.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ossa::browser {

// Where a find-results link points inside its page.
struct Snippet {
  std::string url;
  std::string text;
  int line = 0;  // line index in the target page (after wrapping)
};

struct Page {
  std::string url;    // "" for a search-results page
  std::string title;
  std::string text;   // with 【id†text(†domain)】 link markers, unwrapped
  std::vector<std::string> links;  // link id -> absolute URL
  // Set on find-results pages: link id -> position. Pages with snippets refuse find.
  std::optional<std::map<int, Snippet>> snippets;
};

}  // namespace ossa::browser
