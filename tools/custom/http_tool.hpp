#pragma once
// A user tool bound to an HTTP endpoint (tool_file.hpp, "http" binding), sent through the
// runtime's HTTP client (tools/net) under a network policy: the runtime's rules plus the tool
// file's own `allow` list. Secrets in headers (${NAME}) come from ToolContext::secret and never
// appear in results or metadata.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/net/http_client.hpp"
#include "tools/tool.hpp"

namespace ossa::tools::custom {

struct HttpBinding {
  std::string method = "GET";
  std::string url;  // template, {name} percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  // templates with ${NAME}
  bool json_body = false;
  std::vector<std::string> rules;  // network policy rules
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::size_t> max_output_bytes;
};

// Throws std::invalid_argument when a rule is malformed. `client`: the runtime's shared client
// (its proxies and pool; the binding's rules apply per request); null: the tool makes its own.
std::shared_ptr<Tool> make_http_tool(ToolSpec spec, HttpBinding binding,
                                     std::shared_ptr<net::HttpClient> client = nullptr);

}  // namespace ossa::tools::custom
