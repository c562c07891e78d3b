#pragma once
// How JSON-RPC messages travel between ossa and one MCP server. Every method runs on the
// manager's io_context thread, and so do the handlers.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace ossa::mcp {

using Json = nlohmann::ordered_json;

struct TransportHandlers {
  // A message from the server (a response, a notification or a request).
  std::function<void(Json message)> message;
  // A request we sent could not be delivered or its answer could not be read (HTTP status,
  // body too large...): the call waiting on `id` fails with `why`.
  std::function<void(const Json& id, std::string why)> send_failed;
  // The server is gone (process exited, stream broken, flood): every waiting call fails with
  // `why`, and the next call starts it again.
  std::function<void(std::string why)> closed;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Starts the process or prepares the HTTP session. Throws std::runtime_error with a readable
  // message when it cannot.
  virtual void start(TransportHandlers handlers) = 0;
  // Queues a message; never blocks. Failures arrive through the handlers.
  virtual void send(const Json& message) = 0;
  // After initialize: the negotiated protocol version (HTTP sends it as a header).
  virtual void set_protocol_version(const std::string&) {}
  // Stops the server; no handler runs afterwards.
  virtual void close() = 0;
  // What the server did that helps explain a failure (the end of its stderr, lines that were
  // not JSON-RPC); empty when nothing.
  virtual std::string diagnostics() const { return {}; }
};

}  // namespace ossa::mcp
