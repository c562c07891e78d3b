// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "runtime/server/turn_runner.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/harmony/renderer.hpp"
#include "runtime/harmony/stream_parser.hpp"
#include "runtime/server/stop_matcher.hpp"

namespace ossa::server {
namespace asio = boost::asio;
using harmony::Message;
using harmony::ParserEvent;
using harmony::Role;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Turns parser events into OutputEvents: applies stop sequences to the final answer, recovers
// what a broken message held, counts reasoning tokens. Plain code, outside the coroutine.
class TurnState {
 public:
  TurnState(const RunnerDeps& deps, const GenerationRequest& req, TurnSink& sink, TurnOutput& out)
      : deps_(deps), req_(req), sink_(sink), out_(out), stop_(req.stop) {}

  void begin_round() {
    parser_.emplace(*deps_.tokenizer,
                    harmony::ParserOptions{Role::Assistant, harmony::ParserMode::Tolerant});
    round_messages.clear();
  }

  void push(harmony::TokenId t) {
    if (stopped()) return;
    parser_->push(t);
    if (parser_->state() == harmony::ParserState::Content && parser_->current_channel() &&
        *parser_->current_channel() == "analysis" && !parser_->current_recipient())
      ++out_.reasoning_tokens;
    handle();
  }

  void end_round(bool ended_by_limit) {
    if (!stopped()) {
      parser_->end_of_stream();
      handle();
    }
    if (open_) {
      if (!stopped() && !ended_by_limit)
        out_.warnings.push_back("the model's output ended inside a message; returned what it held");
      close(current_);
    }
  }

  // A stop sequence ended the answer: the rest of the round is ignored.
  bool stopped() const { return stop_hit_; }

  bool server_tool(const Message& m) const {
    if (!is_call(m.recipient) || !deps_.registry) return false;
    std::string ns = recipient_namespace(*m.recipient);
    bool enabled = false;
    for (const auto& s : req_.server_tools) enabled = enabled || s == ns;
    return enabled && deps_.registry->resolve(*m.recipient).tool != nullptr;
  }

  std::vector<Message> round_messages;

 private:
  bool final_text(const Message& m) const {
    return !is_call(m.recipient) && (!m.channel || *m.channel != "analysis");
  }

  void emit(OutputEvent::Kind kind, const Message& m, std::string text = {}) {
    OutputEvent ev;
    ev.kind = kind;
    ev.message = m;
    ev.text = std::move(text);
    ev.server_tool = server_tool(m);
    sink_.on_event(ev);
  }

  void start(const Message& header) {
    current_ = header;
    current_.content.clear();
    text_.clear();
    open_ = true;
    emit(OutputEvent::Kind::Started, current_);
  }

  void delta(const std::string& text) {
    std::string shown = final_text(current_) ? stop_.feed(text) : text;
    if (shown.empty()) return;
    text_ += shown;
    emit(OutputEvent::Kind::Delta, current_, shown);
  }

  void close(const Message& header) {
    if (final_text(current_)) {
      std::string rest = stop_.flush();
      if (!rest.empty()) {
        text_ += rest;
        emit(OutputEvent::Kind::Delta, current_, rest);
      }
      if (stop_.stopped()) stop_hit_ = true;
      stop_ = StopMatcher(stop_hit_ ? std::vector<std::string>{} : req_.stop);
    }
    Message m = header;
    m.content.clear();
    m.content.emplace_back(harmony::TextContent{text_});
    open_ = false;
    emit(OutputEvent::Kind::Done, m);
    round_messages.push_back(m);
    out_.messages.push_back(std::move(m));
  }

  void handle() {
    for (const ParserEvent& e : parser_->events()) {
      switch (e.kind) {
        case ParserEvent::Kind::MessageStarted:
          if (open_) close(current_);
          start(e.message);
          break;
        case ParserEvent::Kind::ContentDelta:
          if (!open_) start(e.message);
          delta(e.text);
          if (stop_.stopped()) {
            close(current_);
            return;
          }
          break;
        case ParserEvent::Kind::MessageDone:
          if (!open_) {
            start(e.message);
            delta(e.message.text_content());
          }
          close(e.message);
          break;
        case ParserEvent::Kind::Error:
          out_.warnings.push_back("malformed model output: " + e.error);
          if (open_) {
            close(current_);
          } else if (!e.text.empty()) {
            Message m = Message::text(Role::Assistant, "");
            m.channel = "final";
            start(m);
            delta(e.text);
            close(current_);
          }
          break;
      }
    }
  }

  const RunnerDeps& deps_;
  const GenerationRequest& req_;
  TurnSink& sink_;
  TurnOutput& out_;
  StopMatcher stop_;
  std::optional<harmony::StreamParser> parser_;
  Message current_;
  std::string text_;
  bool open_ = false;
  bool stop_hit_ = false;
};

struct ToolRun {
  explicit ToolRun(asio::any_io_executor ex) : done(ex) {}
  std::optional<tools::ToolResult> result;
  asio::steady_timer done;
  tools::ToolContext ctx;
};

// Runs a prepared call; nullopt when it did not finish in time or the client went away.
asio::awaitable<std::optional<tools::ToolResult>> run_tool(tools::Registry::Prepared prepared,
                                                           const RunnerDeps& deps,
                                                           tools::ToolSession* session,
                                                           Clock::duration timeout,
                                                           const std::atomic<bool>* cancel) {
  auto ex = co_await asio::this_coro::executor;
  auto st = std::make_shared<ToolRun>(ex);
  st->ctx = deps.tool_context;
  st->ctx.executor = ex;
  st->ctx.session = session;
  st->ctx.limits.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  auto sig = std::make_shared<asio::cancellation_signal>();
  auto body = [st, p = std::move(prepared)]() mutable -> asio::awaitable<void> {
    tools::ToolResult r = co_await tools::Registry::run(std::move(p), st->ctx);
    st->result = std::move(r);
    st->done.cancel();
  };
  asio::co_spawn(ex, std::move(body), asio::bind_cancellation_slot(sig->slot(), asio::detached));
  // The tool gets its own limit; this deadline is the backstop for one that ignores it. The
  // wait is sliced so a client that went away stops the tool soon.
  const auto deadline = Clock::now() + timeout + timeout / 10 + std::chrono::seconds(1);
  while (!st->result && !cancel->load() && Clock::now() < deadline) {
    st->done.expires_after(std::chrono::milliseconds(100));
    boost::system::error_code ec;
    co_await st->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!st->result) sig->emit(asio::cancellation_type::all);
  co_return std::move(st->result);
}

std::vector<harmony::TokenId> render_prompt(const RunnerDeps& deps, const harmony::Conversation& conv,
                                            const std::string& prefill) {
  harmony::Renderer renderer(*deps.tokenizer);
  auto prompt = renderer.render_for_completion(conv, Role::Assistant, {.auto_drop_analysis = true});
  if (!prompt) throw ApiError(400, "the conversation cannot be rendered: " + prompt.error());
  if (!prefill.empty()) deps.tokenizer->encode_with_specials(prefill, *prompt);
  return std::move(*prompt);
}

}  // namespace

asio::awaitable<TurnOutput> run_turn(const RunnerDeps& deps, const GenerationRequest& req,
                                     TurnSink& sink, std::shared_ptr<std::atomic<bool>> cancel_arg,
                                     Clock::time_point received) {
  std::shared_ptr<std::atomic<bool>> cancel = cancel_arg;
  TurnOutput out;
  TurnState state(deps, req, sink, out);
  harmony::Conversation conv = req.conversation;
  const auto deadline = received + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(deps.limits.wall_time_s));
  std::vector<harmony::TokenId> prompt = render_prompt(deps, conv, req.prefill);
  std::size_t prefill_tokens =
      req.prefill.empty() ? 0 : deps.tokenizer->encode_with_specials(req.prefill).size();
  out.prompt_tokens = static_cast<int>(prompt.size());

  auto lease_op = deps.pool->acquire(prompt);
  SlotPool::Lease lease = co_await std::move(lease_op);
  deps.pool->factory().configure(*lease->source, req.sampling);
  tools::ToolSession tool_session;
  bool first_token = true;
  int tool_rounds = 0;
  const int max_tokens = req.max_tokens > 0 ? req.max_tokens : 16384;

  for (int round = 0;; ++round) {
    if (round > 0) prompt = render_prompt(deps, conv, "");
    state.begin_round();
    if (round == 0)
      for (std::size_t i = prompt.size() - prefill_tokens; i < prompt.size(); ++i)
        state.push(prompt[i]);
    runtime::ChunkRequest creq;
    creq.prompt = prompt;
    creq.stop_tokens = {harmony::tokens::kReturn, harmony::tokens::kCall};
    creq.cancel = cancel.get();
    std::string end;
    std::vector<runtime::TokenId> generated;
    for (;;) {
      int left = max_tokens - out.completion_tokens;
      if (left <= 0) {
        end = "length";
        break;
      }
      if (Clock::now() >= deadline) {
        end = "wall_time";
        break;
      }
      creq.max_tokens = std::min(left, std::max(1, first_token ? 4 : deps.limits.chunk_tokens));
      auto gen_op = deps.worker->generate(*lease->source, creq);
      runtime::Chunk c = co_await std::move(gen_op);
      auto t_chunk = Clock::now();
      if (creq.prompt) {
        int reused = static_cast<int>(creq.prompt->size() - std::min(creq.prompt->size(), c.reprocessed));
        if (round == 0) out.cached_tokens = reused;
        creq.prompt.reset();
      }
      out.completion_tokens += static_cast<int>(c.tokens.size());
      generated.insert(generated.end(), c.tokens.begin(), c.tokens.end());
      for (runtime::TokenId t : c.tokens) state.push(t);
      if (!c.tokens.empty() && first_token) {
        first_token = false;
        if (deps.metrics) deps.metrics->time_to_first_token(seconds_since(received));
      } else if (!c.tokens.empty() && deps.metrics) {
        deps.metrics->time_per_output_token(c.decode_ms / 1000.0 / static_cast<double>(c.tokens.size()));
      }
      bool alive = co_await sink.flush();
      if (deps.metrics && !c.tokens.empty())
        deps.metrics->overhead_per_token(seconds_since(t_chunk) / static_cast<double>(c.tokens.size()));
      if (!alive) cancel->store(true);
      if (!c.error.empty()) {
        out.error = "the generation backend failed: " + c.error;
        end = "error";
        break;
      }
      if (cancel->load()) {
        end = "cancelled";
        break;
      }
      if (state.stopped()) {
        end = "stop";
        break;
      }
      if (c.stopped) {
        end = c.tokens.back() == harmony::tokens::kCall ? "call" : "return";
        break;
      }
      if (c.source_ended) {
        end = "source_ended";
        break;
      }
    }
    state.end_round(end == "length" || end == "wall_time" || end == "cancelled");
    lease->context = prompt;
    lease->context.insert(lease->context.end(), generated.begin(), generated.end());
    if (deps.metrics)
      deps.metrics->tokens(static_cast<int>(prompt.size()), round == 0 ? out.cached_tokens : 0,
                           static_cast<int>(generated.size()));
    for (const Message& m : state.round_messages) conv.messages.push_back(m);
    (void)co_await sink.flush();

    if (end == "length") {
      out.finish = "length";
    } else if (end == "wall_time") {
      out.finish = "length";
      out.warnings.push_back("the request ran longer than its wall-time limit");
    } else if (end == "cancelled") {
      out.finish = "cancelled";
    } else if (end == "error") {
      out.finish = "error";
    } else {
      out.finish = "stop";
    }
    if (out.finish != "stop" || state.round_messages.empty() || state.stopped()) break;
    const Message& last = state.round_messages.back();
    if (!is_call(last.recipient)) break;
    if (!state.server_tool(last)) {
      out.finish = "tool_calls";
      break;
    }
    if (++tool_rounds > deps.limits.max_tool_rounds) {
      out.warnings.push_back("stopped after " + std::to_string(deps.limits.max_tool_rounds) +
                             " server-side tool calls");
      break;
    }
    // A call the server runs: the result goes back to the model and generation continues.
    tools::ToolCall call;
    call.recipient = *last.recipient;
    call.body = last.text_content();
    call.channel = last.channel.value_or("commentary");
    call.content_type = last.content_type.value_or("");
    tools::Registry::Prepared prepared = deps.registry->prepare(call);
    std::string author = prepared.tool ? prepared.tool->spec().recipient() : function_name(call.recipient);
    tools::ToolResult result;
    std::string outcome = "ok";
    if (prepared.error) {
      result = *prepared.error;
      outcome = "invalid";
    } else {
      auto remaining = deadline - Clock::now();
      auto timeout = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(deps.limits.tool_timeout_s));
      timeout = std::max<Clock::duration>(std::min(timeout, remaining), Clock::duration::zero());
      auto tool_op = run_tool(std::move(prepared), deps, &tool_session, timeout, cancel.get());
      std::optional<tools::ToolResult> r = co_await std::move(tool_op);
      if (r) {
        result = std::move(*r);
        if (result.is_error) outcome = "error";
      } else {
        result = tools::ToolResult::failure(author + " did not finish in time and was stopped.");
        outcome = cancel->load() ? "cancelled" : "timeout";
      }
    }
    if (deps.metrics) deps.metrics->tool_call(author, outcome);
    Message tool_msg = Message::tool_result(author, result.text, call.channel);
    conv.messages.push_back(tool_msg);
    out.messages.push_back(tool_msg);
    OutputEvent ev;
    ev.kind = OutputEvent::Kind::ToolResult;
    ev.message = tool_msg;
    ev.text = result.text;
    ev.server_tool = true;
    ev.is_error = result.is_error;
    sink.on_event(ev);
    bool alive = co_await sink.flush();
    if (!alive || cancel->load()) {
      out.finish = "cancelled";
      break;
    }
  }
  co_return out;
}

}  // namespace ossa::server
