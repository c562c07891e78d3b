#pragma once
// One completion round: render a conversation, generate until the model stops, parse what it
// wrote. The agent loop (agent_session.hpp) runs rounds and dispatches the calls they end in.
// The server (runtime/server/turn_runner.hpp) still runs its own round: it needs a prefilled
// header (a named tool_choice) and stop sequences that end generation mid-round.
//
//   Completion c(tokenizer, worker, source);
//   RoundOptions o;
//   o.max_tokens = 512;
//   o.deadline = Clock::now() + std::chrono::seconds(60);
//   RoundResult r = co_await c.run(conversation, o, [](const harmony::ParserEvent& e) {
//     // MessageStarted / ContentDelta / MessageDone / Error, as the tokens arrive
//   });
//   if (r.finish == FinishReason::tool_call) ... r.messages.back() is the call
//
// The source keeps its KV cache between rounds: a conversation that grew by a tool result
// re-processes only the new tokens (longest common prefix, token_source.hpp).
//
// The model's output is hostile input: the tolerant parser turns broken harmony into Error
// events and keeps every message it could complete; nothing here throws because of what the
// model wrote. A conversation that cannot be rendered (the caller's input) throws RenderError.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/engine_worker.hpp"
#include "runtime/harmony/conversation.hpp"
#include "runtime/harmony/stream_parser.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/token_source.hpp"

namespace ossa::runtime {

// Why a round stopped generating.
enum class FinishReason {
  returned,       // <|return|>: the model ended its turn (a final answer)
  tool_call,      // <|call|>: the last message is a call to a recipient
  max_tokens,     // the round's token budget ran out
  wall_time,      // the deadline passed
  cancelled,      // the cancel flag was set
  source_ended,   // the engine had nothing more (end of a scripted source, EOS)
  backend_error,  // generation failed (RoundResult::error says why)
};
// "return" | "call" | "max_tokens" | "wall_time" | "cancelled" | "source_ended" |
// "backend_error" (the transcript's round.end values).
const char* to_string(FinishReason reason);

// Counts and times of one round.
struct RoundStats {
  std::size_t prompt_tokens = 0;       // the rendered conversation
  std::size_t reused_tokens = 0;       // of those, served from the KV cache
  std::size_t reprocessed_tokens = 0;  // of those, processed by the engine this round
  int generated_tokens = 0;
  double prefill_ms = 0;
  double decode_ms = 0;
};

struct RoundResult {
  std::vector<harmony::Message> messages;  // completed messages, in order
  std::vector<std::string> parse_errors;   // broken stretches the tolerant parser skipped
  FinishReason finish = FinishReason::source_ended;
  std::string error;  // backend_error: the engine's message
  RoundStats stats;
};

struct RoundOptions {
  int max_tokens = 16384;  // generated tokens at most (<= 0: none, finish = max_tokens)
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancel = nullptr;  // checked between tokens
  int chunk_tokens = 16;  // tokens per worker request: the scheduling quantum between sessions
  // Drop analysis messages before the last final answer (what the models were trained on).
  bool auto_drop_analysis = true;
  harmony::Role next_role = harmony::Role::Assistant;
  // Called after each chunk of generated tokens with the round's counts so far (a live
  // display); empty: none.
  std::function<void(const RoundStats&)> on_progress;
};

struct RenderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Receives the parser's events as tokens arrive (on the caller's executor).
using ParserEventHandler = std::function<void(const harmony::ParserEvent&)>;

class Completion {
 public:
  // The references must outlive the Completion.
  Completion(const harmony::Tokenizer& tokenizer, EngineWorker& worker, TokenSource& source);

  // Runs one round over `conversation`. `on_event` may be empty. Throws RenderError when the
  // conversation cannot be rendered; never throws for model output or engine failures.
  boost::asio::awaitable<RoundResult> run(const harmony::Conversation& conversation,
                                          const RoundOptions& options,
                                          ParserEventHandler on_event = {});

 private:
  const harmony::Tokenizer* tokenizer_;
  EngineWorker* worker_;
  TokenSource* source_;
};

}  // namespace ossa::runtime
