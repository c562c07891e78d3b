#pragma once
// functions.http_request: the model calls an HTTP API through HttpClient and the network
// policy. Off unless the runtime registers it (and with an empty allowlist it refuses every
// call). Header values may carry ${NAME} placeholders filled from ToolContext::secret (the
// runtime's configuration/environment); secret values never reach the model: they are masked
// in what comes back and the headers holding them are dropped on cross-origin redirects.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tools/net/http_client.hpp"

namespace ossa::tools {
class Registry;
class Tool;
}  // namespace ossa::tools

namespace ossa::net {

struct HttpRequestToolSettings {
  std::vector<std::string> network_allowlist;  // NetworkPolicy rules
  HttpClientOptions http;                      // timeouts, caps, CAs, proxies (policy replaced)
  // The runtime's shared client (the allowlist applies per request); null: one made from `http`.
  std::shared_ptr<HttpClient> client;
  std::size_t max_body_chars = 16 * 1024;      // body shown to the model; the rest is cut
  // Response headers shown to the model (case-insensitive).
  std::vector<std::string> shown_headers = {"content-type", "location", "retry-after",
                                            "www-authenticate", "x-request-id"};
};

// A malformed allowlist rule disables the tool with a message naming it (the runtime's
// Environment refuses such a configuration before building tools).
std::shared_ptr<tools::Tool> make_http_request_tool(const HttpRequestToolSettings& settings);
void add_http_request_tool(tools::Registry& registry, const HttpRequestToolSettings& settings);

}  // namespace ossa::net
