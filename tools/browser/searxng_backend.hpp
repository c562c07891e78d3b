#pragma once
// Web search through a SearXNG instance's JSON API (GET <base>/search?q=...&format=json; the
// instance must enable the json format in its settings.yml). The instance's host and port are
// operator configuration, so its own client allows exactly that origin.
#include <memory>

#include "tools/browser/search_backend.hpp"
#include "tools/net/http_client.hpp"

namespace ossa::browser {

class SearxngBackend : public SearchBackend {
 public:
  // `base_url` like "http://127.0.0.1:8888" (a path prefix is kept). `client_options` supplies
  // timeouts, CAs and proxies; its policy is replaced by one naming the instance. Throws
  // std::invalid_argument for an unusable URL.
  // `shared`: the runtime's client to send through (the instance's rule applies per request).
  SearxngBackend(std::string base_url, net::HttpClientOptions client_options = {},
                 std::shared_ptr<net::HttpClient> shared = nullptr);
  ~SearxngBackend() override;

  std::string source() const override { return "web"; }
  bool search(std::string_view query, int topn, std::vector<SearchHit>* hits,
              std::string* error) override;

 private:
  std::string base_;
  std::shared_ptr<const net::NetworkPolicy> policy_;
  std::shared_ptr<net::HttpClient> client_;
};

}  // namespace ossa::browser
