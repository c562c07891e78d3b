#include "tools/browser/searxng_backend.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tools/net/url.hpp"

namespace ossa::browser {

SearxngBackend::SearxngBackend(std::string base_url, net::HttpClientOptions client_options,
                               std::shared_ptr<net::HttpClient> shared) {
  std::string err;
  auto u = net::parse_url(base_url, &err);
  if (!u || (u->scheme != "http" && u->scheme != "https"))
    throw std::invalid_argument("SearXNG URL `" + base_url + "` is not an http(s) URL" +
                                (err.empty() ? "" : ": " + err));
  base_ = u->str();
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  // The configured instance is the one origin this client may reach (often on loopback).
  std::string host = u->host_is_ipv6() ? "[" + u->host + "]" : u->host;
  policy_ = std::make_shared<const net::NetworkPolicy>(
      std::vector<std::string>{u->scheme + "://" + host + ":" + std::to_string(u->port)});
  client_ = std::move(shared);
  if (!client_) {
    client_options.policy = *policy_;
    client_ = std::make_shared<net::HttpClient>(std::move(client_options));
  }
}

SearxngBackend::~SearxngBackend() = default;

bool SearxngBackend::search(std::string_view query, int topn, std::vector<SearchHit>* hits,
                            std::string* error) {
  net::HttpRequest req;
  req.url = base_ + "/search?q=" + net::percent_encode(query) + "&format=json&pageno=1";
  req.headers = {{"Accept", "application/json"}};
  auto r = client_->request(req, nullptr, {policy_, std::nullopt});
  if (!r) {
    *error = "SearXNG request failed: " + r.error->message;
    return false;
  }
  if (r.response->status != 200) {
    *error = "SearXNG returned HTTP " + std::to_string(r.response->status) +
             (r.response->status == 403 ? " (is `json` listed in search.formats of its settings.yml?)"
                                        : "");
    return false;
  }
  auto doc = nlohmann::json::parse(r.response->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("results") ||
      !doc["results"].is_array()) {
    *error = "SearXNG answered with something that is not its JSON result format";
    return false;
  }
  hits->clear();
  auto str = [](const nlohmann::json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  for (const auto& item : doc["results"]) {
    if (static_cast<int>(hits->size()) >= topn) break;
    if (!item.is_object()) continue;
    SearchHit h{str(item, "url"), str(item, "title"), str(item, "content")};
    if (h.url.empty()) continue;
    if (h.title.empty()) h.title = h.url;
    hits->push_back(std::move(h));
  }
  return true;
}

}  // namespace ossa::browser
