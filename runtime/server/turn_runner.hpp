#pragma once
// One request's generation: render the conversation, take a generation slot, generate in
// chunks on the EngineWorker, parse the model's output with the tolerant harmony parser, and
// when the model calls a tool the server runs itself (python, browser) run it in the sandbox,
// append the result and generate again; a call to a client's function ends the turn with
// finish "tool_calls". Malformed output becomes what the parser could recover plus a warning,
// never an error. Events go to a TurnSink as they happen (the HTTP layer streams them).
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <memory>

#include "runtime/engine_worker.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/server/generation_request.hpp"
#include "runtime/server/metrics.hpp"
#include "runtime/server/slot_pool.hpp"
#include "tools/registry.hpp"

namespace ossa::server {

struct RunnerLimits {
  int max_tool_rounds = 16;     // server-side tool calls in one request
  double wall_time_s = 600;     // one request, tools included
  double tool_timeout_s = 120;  // one tool call
  int chunk_tokens = 8;         // tokens per worker request (the scheduling quantum)
};

class TurnSink {
 public:
  virtual ~TurnSink() = default;
  virtual void on_event(const OutputEvent& event) = 0;
  // Sends what on_event buffered; false when the client is gone (the turn is then cancelled).
  virtual boost::asio::awaitable<bool> flush() = 0;
};

struct RunnerDeps {
  const harmony::Tokenizer* tokenizer = nullptr;
  runtime::EngineWorker* worker = nullptr;
  SlotPool* pool = nullptr;
  const tools::Registry* registry = nullptr;  // the server-side tools; may be null
  // Workspace, limits and secrets of server-side tools (Environment::tool_context()); the runner
  // sets the executor, the request's ToolSession and each call's timeout.
  tools::ToolContext tool_context;
  Metrics* metrics = nullptr;                 // may be null
  RunnerLimits limits;
};

// Renders `req` and runs it to the end of the turn. Throws ApiError (400) when the request's
// conversation cannot be rendered; every model or tool failure is reported in the TurnOutput.
// `cancel` is set by the caller when the client goes away.
boost::asio::awaitable<TurnOutput> run_turn(const RunnerDeps& deps, const GenerationRequest& req,
                                            TurnSink& sink, std::shared_ptr<std::atomic<bool>> cancel,
                                            std::chrono::steady_clock::time_point received);

}  // namespace ossa::server
