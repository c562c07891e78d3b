#pragma once
// A small HTTP/1.1 server on loopback for the client and browser tests (plain or TLS with a
// certificate made in the process), running on its own thread. Only ever binds 127.0.0.1/::1.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ossa::test {

struct ServerRequest {
  std::string method;
  std::string target;  // as received (absolute-form through a proxy)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(const std::string& name) const;
};

struct ServerReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunked = false;                    // send the body as chunks of chunk_size
  std::size_t chunk_size = 100;
  std::chrono::milliseconds delay{0};      // before the status line
  std::chrono::milliseconds body_delay{0}; // between header and body (slow body)
  bool close = false;                      // close after this reply
};

// A self-signed certificate (EC P-256) for `dns_name` (and 127.0.0.1 when `with_ip`).
struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};
TestCertificate make_test_certificate(const std::string& dns_name, bool with_ip);

class TestServer {
 public:
  using Handler = std::function<ServerReply(const ServerRequest&)>;
  // Listens on 127.0.0.1 (or ::1 when `ipv6`) on a free port; TLS when `cert` is given.
  explicit TestServer(Handler handler, const TestCertificate* cert = nullptr, bool ipv6 = false);
  ~TestServer();
  unsigned short port() const;
  // "http://127.0.0.1:PORT" (or https, or [::1]).
  std::string base_url(const std::string& host = "") const;
  std::vector<ServerRequest> requests() const;
  std::size_t connections_accepted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ossa::test
