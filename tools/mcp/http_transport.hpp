#pragma once
// An MCP server reached over Streamable HTTP (protocol 2025-03-26 and later): each message is
// POSTed to the endpoint; the answer is a JSON body or a text/event-stream whose events carry
// the server's notifications (progress) and then the response. The session id the server
// assigns at initialize is sent back on every request. The HTTP client checks every request
// against a network policy that names only the endpoint's own scheme, host and port.
//
// Not done: the optional GET stream for messages the server sends outside any request (a
// server's list_changed outside a call is then not seen until the next session).
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tools/mcp/server_config.hpp"
#include "tools/secrets.hpp"
#include "tools/mcp/transport.hpp"

namespace ossa::net {
class HttpClient;
}

namespace ossa::mcp {

// The declared secrets `${NAME}` in configured headers may use (each bound to hosts); null: none.
using SecretLookup = std::shared_ptr<const tools::Secrets>;

// The HTTP client for one server: its policy allows the URL's origin only. Throws
// std::invalid_argument when the URL is not http(s).
std::shared_ptr<net::HttpClient> make_server_http_client(const ServerConfig& cfg);

// The JSON-RPC messages in an HTTP answer body (`content_type` text/event-stream or JSON);
// malformed events are skipped and counted in *skipped.
std::vector<Json> parse_http_messages(std::string_view content_type, std::string_view body,
                                      std::size_t* skipped);

class HttpTransport : public Transport {
 public:
  HttpTransport(boost::asio::io_context& io, ServerConfig cfg,
                std::shared_ptr<net::HttpClient> client, SecretLookup secret);
  ~HttpTransport() override;
  void start(TransportHandlers handlers) override;
  void send(const Json& message) override;
  void set_protocol_version(const std::string& version) override;
  void close() override;
  std::string diagnostics() const override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ossa::mcp
