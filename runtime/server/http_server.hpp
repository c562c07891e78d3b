#pragma once
// The HTTP/1.1 server (Boost.Beast on Asio coroutines): keep-alive, Server-Sent Events over
// chunked encoding, bearer-token auth, body limits, 429 with Retry-After when the generation
// queue is full, and a client that disconnects cancels its generation. Request handling maps
// through chat_completions / responses_api and runs through run_turn; connection lifetime is
// kept apart from it here.
//
// Routes: GET /health (no auth), GET /metrics, GET /v1/models[/{id}],
// POST /v1/chat/completions, POST /v1/responses, GET /v1/responses/{id}, the web UI's files
// at / and /ui/{file} (no auth, web_assets.hpp) and its /ossa/ routes (ossa_routes.hpp, and
// agent_sessions.hpp for /ossa/agents/...).
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "runtime/config.hpp"
#include "runtime/engine_worker.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/server/generation_request.hpp"
#include "runtime/server/slot_pool.hpp"
#include "runtime/server/turn_runner.hpp"
#include "tools/registry.hpp"

namespace ossa::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;        // 0: any free port (see HttpServer::port())
  std::string api_key;               // empty: no auth (loopback only, or insecure_no_auth)
  bool insecure_no_auth = false;     // allow a non-loopback bind without a key
  std::size_t max_body_bytes = 8u << 20;
  double idle_timeout_s = 60;        // keep-alive connection idle, and each write
  int slots = 4;                     // concurrent generations (sessions with a KV cache)
  int max_queue = 64;                // requests waiting for a slot before 429
  std::filesystem::path data_dir;    // stored responses live in data_dir/responses
  // What server-side tools run with (workspace, limits, secrets): Environment::tool_context();
  // each call gets its executor, session and timeout.
  tools::ToolContext tool_context;
  MappingContext mapping;
  RunnerLimits limits;
  // The web UI's agent sessions (agent_sessions.hpp): the configuration they run with (limits,
  // approvals, date, sampling: as `ossa run`'s) and the transcript folder they live in (empty:
  // data_dir/transcripts; `ossa serve` passes `ossa run`'s).
  runtime::Config agent_config;
  std::filesystem::path transcript_dir;
};

// Throws std::invalid_argument when the options are unsafe or unusable (a non-loopback
// address without an API key, a host that does not resolve).
void check_options(const ServerOptions& options);

class HttpServer {
 public:
  // `factory` and `registry` must outlive the server. Throws std::runtime_error when the data
  // folder cannot be created, or the address cannot be bound.
  HttpServer(ServerOptions options, SourceFactory& factory, const tools::Registry* registry);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  unsigned short port() const;
  // Serves until stop() (or SIGINT/SIGTERM when handle_signals).
  void run(bool handle_signals);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ossa::server
