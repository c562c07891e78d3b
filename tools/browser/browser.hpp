#pragma once
// The browser the model drives (gpt-oss's simple_browser semantics): a stack of pages
// addressed by cursor; search pushes a results page, open follows a link id / cursor / URL or
// scrolls, find pushes a find-results page. Every answer is the page display or an error text
// the model can act on. Blocking (HTTP fetches); the tool layer runs it off the event loop.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tools/browser/page.hpp"
#include "tools/browser/page_view.hpp"
#include "tools/browser/search_backend.hpp"

namespace ossa::net {
class HttpClient;
class NetworkPolicy;
}

namespace ossa::browser {

struct BrowserConfig {
  std::shared_ptr<SearchBackend> backend;     // null: search reports that none is configured
  std::shared_ptr<net::HttpClient> http;      // null: http(s) pages cannot be opened
  // The rules pages are fetched under (per request: `http` may be shared); null: http's own.
  std::shared_ptr<const net::NetworkPolicy> http_policy;
  ViewOptions view;
  int max_search_results = 20;                // the reference always asks for 20
  std::string missing_backend_reason;         // said when backend is null
  // "sources=" value of the namespace description.
  std::string source() const { return backend ? backend->source() : "web"; }
};

struct BrowserReply {
  std::string text;
  bool is_error = false;
};

struct OpenArgs {
  std::variant<long long, std::string> id = -1LL;  // link id, or a URL
  long long cursor = -1;
  long long loc = -1;
  long long num_lines = -1;
  bool view_source = false;
};

class BrowserState {
 public:
  explicit BrowserState(std::shared_ptr<const BrowserConfig> config);

  BrowserReply search(std::string_view query);
  BrowserReply open(const OpenArgs& args);
  BrowserReply find(std::string_view pattern, long long cursor = -1);

  // 【cursor†...】 citations in the model's final text -> " ([domain](url)) " (unknown cursors
  // and search pages kept as written); an unfinished citation at the very end is dropped when
  // `hide_partial`.
  std::string normalize_citations(std::string_view text, bool hide_partial = false) const;

  std::size_t depth() const { return stack_.size(); }
  const Page& page_at(std::size_t cursor) const { return *stack_.at(cursor); }

 private:
  std::shared_ptr<const BrowserConfig> config_;
  std::vector<std::shared_ptr<const Page>> stack_;
  std::vector<std::pair<std::string, std::shared_ptr<const Page>>> cache_;  // url -> page

  std::shared_ptr<const Page> page_for_cursor(long long cursor, std::string* error) const;
  std::shared_ptr<const Page> fetch(const std::string& url, bool refresh, std::string* error);
  BrowserReply show_pushed(long long loc, long long num_lines);
};

}  // namespace ossa::browser
