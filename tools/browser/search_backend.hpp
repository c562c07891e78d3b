#pragma once
// Where browser.search gets its results. Backends: SearXNG (searxng_backend.hpp), a folder of
// local documents indexed with BM25 (local_docs_backend.hpp). More can be added by config.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/browser/page.hpp"

namespace ossa::browser {

struct SearchHit {
  std::string url;
  std::string title;
  std::string snippet;  // plain text
};

// A page or the reason there is none.
struct Fetched {
  std::optional<Page> page;
  std::string error;
};

class SearchBackend {
 public:
  virtual ~SearchBackend() = default;
  // What the namespace description ends with after "sources=" ("web", "local documents").
  virtual std::string source() const = 0;
  // Up to `topn` hits; false with *error set on failure. Never throws.
  virtual bool search(std::string_view query, int topn, std::vector<SearchHit>* hits,
                      std::string* error) = 0;
  // Fetches a URL this backend owns (local documents); nullopt for URLs it does not own, which
  // the browser then fetches over HTTP.
  virtual std::optional<Fetched> fetch(std::string_view url) {
    (void)url;
    return std::nullopt;
  }
};

}  // namespace ossa::browser
