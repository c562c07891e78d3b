#pragma once
// The `browser` built-in (browser.search, browser.open, browser.find) over BrowserState, with
// the namespace description and schemas gpt-oss was trained on. The page stack lives in the
// agent session (ToolSession key "browser").
#include <memory>
#include <string>
#include <vector>

#include "tools/browser/browser.hpp"
#include "tools/net/http_client.hpp"

namespace ossa::tools {
class Registry;
class Tool;
class ToolSession;
}

namespace ossa::browser {

struct BrowserSettings {
  // Rules (network_policy.hpp) for pages opened by URL or link. Empty: only search results
  // from a local-documents backend can be opened.
  std::vector<std::string> network_allowlist;
  // "searxng:<base URL>", "local:<folder>", or empty. Empty falls back to $OSSA_SEARXNG_URL,
  // then $OSSA_LOCAL_DOCS.
  std::string search_backend;
  net::HttpClientOptions http;  // timeouts, size cap, CAs, proxies (its policy is replaced)
  // The runtime's shared client (the allowlist and the search instance's rule apply per
  // request); null: clients are made from `http`.
  std::shared_ptr<net::HttpClient> client;
  std::size_t view_tokens = 1024;
  TokenCounter count_tokens;    // null: estimate
};

// Builds the shared configuration. Throws std::invalid_argument naming a malformed allowlist
// rule; an unusable search backend becomes the reason search reports to the model.
std::shared_ptr<const BrowserConfig> make_browser_config(const BrowserSettings& settings);

// The namespace description ending in "sources=<source>".
std::string browser_description(const std::string& source);

// browser.search (only when `config` has a search backend), browser.open and browser.find,
// sharing `config`.
std::vector<std::shared_ptr<tools::Tool>> make_browser_tools(std::shared_ptr<const BrowserConfig> config);

// Adds the tools and the namespace description to `registry`.
void add_browser_tools(tools::Registry& registry, std::shared_ptr<const BrowserConfig> config);

// The page stack of an agent session, or null before its first browser call (the runtime
// rewrites citations in the final answer with it: normalize_citations).
BrowserState* session_browser(tools::ToolSession& session);

}  // namespace ossa::browser
