#pragma once
// One agent session: a harmony conversation driven to completion on the event loop.
//
// run_turn() runs completion rounds (completion.hpp: render, generate reusing the source's KV
// cache, tolerant parse) and, for a round that ends in a call, dispatches it through the tools
// Registry, appends the result as a tool message and runs another round, until the model
// returns a final answer or a guard stops the turn. Everything the model did wrong (unknown
// tool, invalid arguments, unparsable output, a tool timing out, a denied approval) goes back
// to the model as a tool message. What happens is emitted as typed events (events.hpp) to the
// session's sinks: the transcript, the display, a server stream.
//
//   SessionDeps deps{...};
//   deps.events.add(std::make_shared<TranscriptSink>(writer));
//   AgentSession s(std::move(deps), options);
//   s.start_new();                 // or s.resume(transcript_messages(read_transcript(path)))
//   TurnResult r = co_await s.run_turn("What is 2+2?");
//
// A session is used from one coroutine at a time. cancel() may be called from the loop's
// thread (e.g. a SIGINT handler): it stops generation and the running tool, and the turn ends
// with stop reason "cancelled".
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/completion.hpp"
#include "runtime/config.hpp"
#include "runtime/engine_worker.hpp"
#include "runtime/events.hpp"
#include "runtime/harmony/conversation.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/token_source.hpp"
#include "runtime/transcript.hpp"
#include "tools/registry.hpp"

namespace ossa::runtime {

// Decides whether a tool that needs approval may run (the terminal prompt of `--approve ask`).
using Approver = std::function<boost::asio::awaitable<bool>(const tools::ToolCall& call)>;

struct SessionOptions {
  std::string reasoning = "medium";  // low | medium | high
  std::string instructions;
  std::string date;  // empty: no date line
  Limits limits;
  ApproveMode approve = ApproveMode::ask;
  std::vector<std::string> need_approval = {"shell", "apply_patch", "http"};
  int chunk_tokens = 16;  // tokens per worker request (the scheduling quantum)
};

struct SessionDeps {
  const harmony::Tokenizer* tokenizer = nullptr;
  const tools::Registry* registry = nullptr;
  EngineWorker* worker = nullptr;
  TokenSource* source = nullptr;
  // Workspace, limits and secrets for every tool call (Environment::tool_context()); the
  // session sets the executor, its ToolSession and each call's timeout.
  tools::ToolContext tool_context;
  // Where events go, in order: put the TranscriptSink first, so a message is on disk before it
  // is shown. Empty: no record, no display.
  EventBus events;
  Approver approver;  // empty: ask-mode approvals are denied
  // The counts of the round under way, after each chunk of generated tokens (the terminal's
  // live status line); empty: none.
  std::function<void(const RoundStats&)> on_progress;
};

struct TurnResult {
  // final | max_tool_rounds | max_tokens | wall_time | repeated_call | cancelled |
  // model_stopped (the source ended without an answer) | backend_error
  std::string reason;
  std::string final_text;  // the final answer when reason == "final"
  int tool_rounds = 0;
  int generated_tokens = 0;
  std::string detail;  // a human-readable explanation of a non-final reason
};

class AgentSession {
 public:
  AgentSession(SessionDeps deps, SessionOptions options);
  ~AgentSession();
  AgentSession(const AgentSession&) = delete;
  AgentSession& operator=(const AgentSession&) = delete;

  // A new conversation: system + developer messages from the options and the registry's tool
  // namespaces (recorded in the transcript).
  void start_new();
  // Continues a recorded conversation (the transcript's "message" payloads). A call left
  // without its result (the process died while the tool ran) gets a tool message saying so:
  // tools are not re-run behind the user's back. Throws std::runtime_error on a malformed
  // message.
  void resume(const std::vector<Event>& messages);

  // Appends `user_text` (when given) as a user message and runs until the turn ends. Without a
  // user text it continues the conversation as it is (after resume). Never throws for model
  // or tool misbehaviour; throws TranscriptError when the transcript cannot be written.
  boost::asio::awaitable<TurnResult> run_turn(std::optional<std::string> user_text);

  void cancel();
  const harmony::Conversation& conversation() const;
  // Whether the last assistant message is a final answer (nothing left to continue).
  bool turn_complete() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ossa::runtime
