#pragma once
// The runtime's HTTP(S) client (Boost.Beast + OpenSSL behind a pimpl: including this header
// costs no Asio/Beast).
//
// Every request and every redirect hop passes the NetworkPolicy: the URL before DNS, then each
// resolved address; the connection goes only to a checked address. TLS uses the system CA store
// (plus any extra CA PEM given), SNI and host-name verification. HTTP/1.1 keep-alive connections
// are pooled per (scheme, host, port, address, proxy). gzip/deflate bodies are decoded; the
// decoded body is capped. HTTP_PROXY / HTTPS_PROXY / NO_PROXY are honoured (plain HTTP through
// an absolute-form request, HTTPS through CONNECT); the proxy itself is operator configuration
// and is not subject to the policy, the target still is (checked and addressed by IP).
//
// The client runs its own I/O thread. async_request() never blocks; request() blocks the caller
// (never call it from a completion handler). Both are cancellable. Thread-safe.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/net/network_policy.hpp"

namespace ossa::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;       // absolute http:// or https:// URL
  HttpHeaders headers;   // sent as given (Host, Content-Length, Accept-Encoding are added)
  std::string body;      // sent when non-empty (or when the method is POST/PUT/PATCH)
  // Header names (besides Authorization, Cookie, Proxy-Authorization) dropped when a redirect
  // leaves the origin: headers carrying secrets must not follow a redirect elsewhere.
  std::vector<std::string> sensitive_headers;
};

// What one caller of a shared client sets for its own requests, over the client's options:
// tools with their own rules share one client, its connections and its I/O thread.
struct RequestScope {
  // The rules for the request and its redirects; null: HttpClientOptions::policy.
  std::shared_ptr<const NetworkPolicy> policy;
  // Whole request, redirects included; nullopt: HttpClientOptions::total_timeout.
  std::optional<std::chrono::milliseconds> total_timeout;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  HttpHeaders headers;             // as received (Content-Encoding of a decoded body removed)
  std::string body;                // decoded (dechunked, gunzipped/inflated)
  std::string final_url;           // after redirects
  std::vector<std::string> redirects;  // each URL redirected to, in order
  std::string remote_address;      // the IP actually connected to ("" through a proxy)
  bool reused_connection = false;  // served over a pooled keep-alive connection
  // First header with this name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

enum class HttpErrorKind {
  invalid_url,
  policy,            // refused by the NetworkPolicy (message names the rule)
  resolve,
  connect,
  tls,
  timeout,           // connect or total timeout
  too_large,         // body over max_body_bytes
  too_many_redirects,
  protocol,          // malformed response, bad encoding...
  cancelled,
};
std::string_view to_string(HttpErrorKind kind);

struct HttpError {
  HttpErrorKind kind = HttpErrorKind::protocol;
  std::string message;
};

// Exactly one of response/error is set.
struct HttpResult {
  std::optional<HttpResponse> response;
  std::optional<HttpError> error;
  explicit operator bool() const { return response.has_value(); }
};

struct ProxySettings {
  std::string http_proxy;   // "http://host:port" used for http:// URLs; empty = direct
  std::string https_proxy;  // likewise for https:// URLs (CONNECT tunnel)
  std::string no_proxy;     // comma-separated hosts / ".suffix" / "*" that go direct
  // Reads HTTP_PROXY/http_proxy, HTTPS_PROXY/https_proxy, NO_PROXY/no_proxy.
  static ProxySettings from_environment();
  // The proxy URL to use for `url_scheme`/`host`, or "" for a direct connection.
  std::string proxy_for(std::string_view url_scheme, std::string_view host) const;
};

struct HttpClientOptions {
  NetworkPolicy policy;  // the default refuses everything: callers must pass rules
  std::chrono::milliseconds connect_timeout{10'000};  // per connection (all addresses together)
  std::chrono::milliseconds total_timeout{60'000};    // whole request, redirects included
  std::size_t max_body_bytes = 8u << 20;  // decoded body; larger = too_large error
  int max_redirects = 5;
  ProxySettings proxy;           // e.g. ProxySettings::from_environment()
  std::string extra_ca_pem;      // PEM certificates trusted besides the system store
  bool use_system_ca = true;
  std::string user_agent = "ossa/0.1";
  std::size_t max_idle_connections_per_host = 4;
  std::chrono::milliseconds idle_connection_timeout{30'000};
};

// Cancels a request started by async_request; harmless after completion.
class HttpCancel {
 public:
  HttpCancel() = default;
  void cancel() const;
  struct State;
  explicit HttpCancel(std::shared_ptr<State> s) : state_(std::move(s)) {}

 private:
  std::shared_ptr<State> state_;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();  // cancels what is in flight and joins the I/O thread
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  using Handler = std::function<void(HttpResult)>;
  // Starts the request; `done` runs once, on the client's I/O thread.
  HttpCancel async_request(HttpRequest request, Handler done, RequestScope scope = {});
  // Blocks until done. `cancel`, when given, receives the handle before the request starts
  // (so another thread can cancel it).
  HttpResult request(HttpRequest request, HttpCancel* cancel = nullptr, RequestScope scope = {});

  const HttpClientOptions& options() const;
  // Idle pooled connections right now (for tests and stats).
  std::size_t idle_connections() const;

  struct Impl;  // opaque: Beast/Asio stay in http_client.cpp

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace ossa::net
