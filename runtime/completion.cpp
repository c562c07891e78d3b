// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "runtime/completion.hpp"

#include <algorithm>

#include "runtime/harmony/renderer.hpp"

namespace ossa::runtime {

const char* to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::returned: return "return";
    case FinishReason::tool_call: return "call";
    case FinishReason::max_tokens: return "max_tokens";
    case FinishReason::wall_time: return "wall_time";
    case FinishReason::cancelled: return "cancelled";
    case FinishReason::source_ended: return "source_ended";
    case FinishReason::backend_error: return "backend_error";
  }
  return "?";
}

Completion::Completion(const harmony::Tokenizer& tokenizer, EngineWorker& worker,
                       TokenSource& source)
    : tokenizer_(&tokenizer), worker_(&worker), source_(&source) {}

boost::asio::awaitable<RoundResult> Completion::run(const harmony::Conversation& conversation,
                                                    const RoundOptions& options,
                                                    ParserEventHandler on_event) {
  harmony::Renderer renderer(*tokenizer_);
  auto prompt = renderer.render_for_completion(
      conversation, options.next_role, {.auto_drop_analysis = options.auto_drop_analysis});
  if (!prompt) throw RenderError("cannot render the conversation: " + prompt.error());

  RoundResult out;
  out.stats.prompt_tokens = prompt->size();
  harmony::StreamParser parser(*tokenizer_, {.initial_role = options.next_role,
                                             .mode = harmony::ParserMode::Tolerant});
  auto handle_events = [&] {
    for (const harmony::ParserEvent& e : parser.events()) {
      if (e.kind == harmony::ParserEvent::Kind::MessageDone) out.messages.push_back(e.message);
      if (e.kind == harmony::ParserEvent::Kind::Error) out.parse_errors.push_back(e.error);
      if (on_event) on_event(e);
    }
  };

  ChunkRequest req;
  req.prompt = std::move(*prompt);
  req.stop_tokens = {harmony::tokens::kReturn, harmony::tokens::kCall};
  req.cancel = options.cancel;
  for (;;) {
    int left = options.max_tokens - out.stats.generated_tokens;
    if (left <= 0) {
      out.finish = FinishReason::max_tokens;
      break;
    }
    if (std::chrono::steady_clock::now() >= options.deadline) {
      out.finish = FinishReason::wall_time;
      break;
    }
    req.max_tokens = std::min(left, std::max(1, options.chunk_tokens));
    Chunk c = co_await worker_->generate(*source_, req);
    if (req.prompt) {
      out.stats.reprocessed_tokens = c.reprocessed;
      out.stats.prefill_ms = c.prefill_ms;
      req.prompt.reset();
    }
    out.stats.decode_ms += c.decode_ms;
    out.stats.generated_tokens += static_cast<int>(c.tokens.size());
    for (TokenId t : c.tokens) {
      parser.push(t);
      handle_events();
    }
    if (options.on_progress) options.on_progress(out.stats);
    if (!c.error.empty()) {
      out.error = c.error;
      out.finish = FinishReason::backend_error;
      break;
    }
    if (c.stopped) {
      out.finish = c.tokens.back() == harmony::tokens::kCall ? FinishReason::tool_call
                                                             : FinishReason::returned;
      break;
    }
    if (c.source_ended) {
      out.finish = FinishReason::source_ended;
      break;
    }
    if (options.cancel && options.cancel->load()) {
      out.finish = FinishReason::cancelled;
      break;
    }
  }
  parser.end_of_stream();
  handle_events();
  out.stats.reused_tokens =
      out.stats.prompt_tokens - std::min(out.stats.prompt_tokens, out.stats.reprocessed_tokens);
  co_return out;
}

}  // namespace ossa::runtime
