#pragma once
// The JSON-RPC 2.0 client of one MCP server, and the server's lifecycle: started on first use
// (initialize, protocol version negotiation, tools/list through every page), restarted on the
// next call after it died (that call's result tells the model the server's state was lost),
// tools re-listed after notifications/tools/list_changed. Requests carry a progress token;
// progress notifications are counted into the result's metadata. A call past its deadline or
// cancelled sends notifications/cancelled and fails at once: a server that hangs, floods, prints
// garbage or exits never stalls the caller beyond the deadline.
//
// Single-threaded: every method runs on the io_context given at construction (the Manager's).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/mcp/http_transport.hpp"
#include "tools/mcp/server_config.hpp"
#include "tools/mcp/transport.hpp"
#include "tools/tool.hpp"

namespace ossa::mcp {

// Protocol versions ossa speaks, newest first (the first is offered at initialize).
extern const char* const kProtocolVersions[2];

struct RemoteTool {
  std::string name;
  std::string title;
  std::string description;
  Json input_schema;   // as the server gave it
  Json output_schema;  // null when none
};

// A failure starting the server or talking to it; what() is a sentence for the model.
struct ServerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Cancels one call from another thread: post cancel() to the client's io_context.
struct CallCancel {
  bool cancelled = false;
  std::function<void()> hook;  // set by the client while the request is in flight
  void cancel() {
    cancelled = true;
    if (hook) hook();
  }
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(boost::asio::io_context& io, ServerConfig cfg, std::filesystem::path workspace,
         SecretLookup secret);
  ~Client();

  const ServerConfig& config() const { return cfg_; }
  // Starts the server when it is not running and returns its tools (enabled_tools and
  // disabled_tools applied). Throws ServerError.
  boost::asio::awaitable<std::vector<RemoteTool>> list_tools();
  // tools/call. Never throws: every failure is a ToolResult the model can read.
  boost::asio::awaitable<tools::ToolResult> call_tool(std::string name, Json arguments,
                                                      std::chrono::milliseconds timeout,
                                                      std::size_t max_bytes,
                                                      std::shared_ptr<CallCancel> cancel);
  // Stops the server (kills a stdio one). The next call starts it again.
  void stop();

  // Facts for tests and `ossa tools list`.
  bool running() const;
  int starts() const;
  std::string protocol_version() const;
  Json server_info() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  ServerConfig cfg_;
};

}  // namespace ossa::mcp
