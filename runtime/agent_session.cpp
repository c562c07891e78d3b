// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "runtime/agent_session.hpp"

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sstream>

#include "tools/text.hpp"


namespace ossa::runtime {
namespace asio = boost::asio;
using harmony::Message;
using harmony::Role;
using Clock = std::chrono::steady_clock;

namespace {

harmony::ReasoningEffort effort_of(const std::string& s) {
  if (s == "low") return harmony::ReasoningEffort::Low;
  if (s == "high") return harmony::ReasoningEffort::High;
  return harmony::ReasoningEffort::Medium;
}

// Registry namespaces (JSON keyed by namespace) -> harmony namespaces. The tools own their
// model-facing text (tools/): nothing is added here.
harmony::ToolNamespaces to_namespaces(const harmony::Json& tools_map) {
  harmony::ToolNamespaces out;
  if (!tools_map.is_object()) return out;
  for (const auto& [key, ns] : tools_map.items()) {
    auto r = harmony::tool_namespace_from_json(ns);
    if (!r) throw std::runtime_error("tool namespace " + key + ": " + r.error());
    out[key] = std::move(*r);
  }
  return out;
}

bool is_real_recipient(const std::optional<std::string>& r) {
  return r && !r->empty() && *r != "all" && *r != "user" && *r != "assistant";
}

std::string trim(std::string_view s) { return std::string(tools::trim_ascii(s)); }

std::string seconds_text(double s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

// The author of runtime notices (broken output, guards): a tool-role message the model reads.
constexpr const char* kRuntimeAuthor = "runtime";

}  // namespace

struct AgentSession::Impl {
  SessionDeps deps;
  SessionOptions opt;
  Completion completion;
  harmony::Conversation conv;
  std::atomic<bool> cancelled{false};

  std::shared_ptr<tools::ToolSession> tool_session = std::make_shared<tools::ToolSession>();
  // The wait of the tool call in progress, so cancel() can end it.
  asio::steady_timer* tool_wait = nullptr;
  std::shared_ptr<asio::cancellation_signal> tool_cancel;

  // Consecutive identical calls.
  std::string last_call_key;
  int same_call_count = 0;

  Impl(SessionDeps d, SessionOptions o)
      : deps(std::move(d)),
        opt(std::move(o)),
        completion(*deps.tokenizer, *deps.worker, *deps.source) {}

  void emit(const SessionEvent& ev) const { deps.events.emit(ev); }
  // Appends a message to the conversation; the transcript sink makes it durable before
  // anything else happens.
  void append(Message m) {
    emit(MessageAppended{harmony::to_json(m)});
    conv.messages.push_back(std::move(m));
  }
  void warn(const std::string& text) { emit(Warning{text}); }
  void tool_message(const std::string& author, const std::string& text,
                    const std::string& channel) {
    append(Message::tool_result(author, text, channel.empty() ? "commentary" : channel));
  }

  bool needs_approval(const tools::Tool& tool) const {
    const tools::ToolSpec& s = tool.spec();
    if (s.needs_approval) return true;
    for (const std::string& n : opt.need_approval)
      if (n == s.name || n == s.ns || n == s.recipient()) return true;
    return false;
  }

  asio::awaitable<bool> approve(const tools::Tool& tool, const tools::ToolCall& call) {
    if (!needs_approval(tool)) co_return true;
    bool ok = false;
    switch (opt.approve) {
      case ApproveMode::all: ok = true; break;
      case ApproveMode::none: ok = false; break;
      case ApproveMode::ask: ok = deps.approver ? co_await deps.approver(call) : false; break;
    }
    emit(ApprovalDecided{tool.spec().recipient(), to_string(opt.approve), ok});
    co_return ok;
  }

  // Runs a prepared call with a deadline; nullopt when it timed out or was cancelled (the tool
  // is told to stop through its cancellation slot and left to wind down on its own).
  asio::awaitable<std::optional<tools::ToolResult>> run_tool(tools::Registry::Prepared prepared,
                                                             Clock::duration timeout) {
    auto ex = co_await asio::this_coro::executor;
    struct State {
      explicit State(asio::any_io_executor e) : done(e) {}
      std::optional<tools::ToolResult> result;
      asio::steady_timer done;
      tools::ToolContext ctx;
      std::shared_ptr<tools::ToolSession> session;
    };
    auto st = std::make_shared<State>(ex);
    st->session = tool_session;
    st->ctx = deps.tool_context;
    st->ctx.executor = ex;
    st->ctx.session = st->session.get();
    st->ctx.limits.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
    auto sig = std::make_shared<asio::cancellation_signal>();
    tool_cancel = sig;
    asio::co_spawn(
        ex,
        [st, sig, p = std::move(prepared)]() mutable -> asio::awaitable<void> {
          tools::ToolResult r = co_await tools::Registry::run(std::move(p), st->ctx);
          st->result = std::move(r);
          st->done.cancel();
        },
        asio::bind_cancellation_slot(sig->slot(), asio::detached));
    // The tool gets its own limit; this deadline is the backstop for a tool that ignores it.
    st->done.expires_after(timeout + timeout / 10 + std::chrono::seconds(1));
    if (!st->result && !cancelled) {
      tool_wait = &st->done;
      boost::system::error_code ec;
      co_await st->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      tool_wait = nullptr;
    }
    tool_cancel.reset();
    if (!st->result) sig->emit(asio::cancellation_type::all);
    co_return std::move(st->result);
  }

  // Dispatches the call in `m`. Returns a stop reason when the turn must end.
  asio::awaitable<std::optional<std::string>> dispatch(const Message& m, TurnResult& tr,
                                                       Clock::time_point deadline) {
    tools::ToolCall call;
    call.recipient = trim(*m.recipient);
    call.body = m.text_content();
    call.channel = m.channel.value_or("commentary");
    call.content_type = m.content_type.value_or("");

    if (tr.tool_rounds >= opt.limits.max_tool_rounds) {
      tr.detail = "the model asked for more than " + std::to_string(opt.limits.max_tool_rounds) +
                  " tool calls in one turn (limits.max_tool_rounds)";
      co_return "max_tool_rounds";
    }
    ++tr.tool_rounds;

    tools::Registry::Prepared prepared = deps.registry->prepare(call);
    std::string author = prepared.tool ? prepared.tool->spec().recipient()
                                       : call.recipient.substr(0, call.recipient.find_first_of(" <"));

    std::string key = author + '\n' + trim(call.body);
    same_call_count = key == last_call_key ? same_call_count + 1 : 1;
    last_call_key = key;
    const int n = opt.limits.repeat_limit;
    if (same_call_count > n + 1) {
      tr.detail = "the model repeated the same call to " + author + " " +
                  std::to_string(same_call_count) + " times in a row, after a warning";
      co_return "repeated_call";
    }
    if (same_call_count == n + 1) {
      std::string text = "You have made this exact call to " + author + " " + std::to_string(n) +
                         " times in a row; it was not run again because the result would be the "
                         "same. Use the results you already have, change the arguments, or "
                         "answer. Repeating it once more ends the task.";
      warn("repeated call to " + author + " (" + std::to_string(same_call_count) + " times)");
      tool_message(author, text, call.channel);
      co_return std::nullopt;
    }

    emit(ToolCalled{call.recipient,
                    prepared.tool ? std::optional<std::string>(author) : std::nullopt, call.body,
                    call.channel, prepared.notes});

    auto t0 = Clock::now();
    tools::ToolResult result;
    if (prepared.error) {
      result = *prepared.error;
    } else if (!co_await approve(*prepared.tool, prepared.call)) {
      result = tools::ToolResult::failure("The user did not approve running " + author +
                                          "; it was not run. Continue without it or ask the user.");
      result.metadata["denied"] = true;
    } else {
      auto remaining = deadline - Clock::now();
      auto timeout = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(opt.limits.tool_timeout_s));
      bool wall_bound = remaining < timeout;
      if (wall_bound) timeout = std::max<Clock::duration>(remaining, Clock::duration::zero());
      std::optional<tools::ToolResult> r = co_await run_tool(std::move(prepared), timeout);
      if (r) {
        result = std::move(*r);
      } else if (cancelled) {
        result = tools::ToolResult::failure(author + " was cancelled by the user.");
        result.metadata["cancelled"] = true;
      } else {
        double s = std::chrono::duration<double>(timeout).count();
        result = tools::ToolResult::failure(author + " did not finish within " + seconds_text(s) +
                                            " s and was stopped.");
        result.metadata["timed_out"] = true;
      }
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    emit(ToolFinished{author, result.text, result.is_error, ms, result.metadata});
    // The result goes back under the tool's canonical recipient (the name the model used when
    // it named no tool), so the model can match call and result.
    tool_message(author, result.text, call.channel);
    co_return std::nullopt;
  }

  asio::awaitable<TurnResult> run_turn(std::optional<std::string> user_text) {
    TurnResult tr;
    cancelled = false;
    const auto t_start = Clock::now();
    const auto deadline =
        t_start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(opt.limits.wall_time_s));
    if (user_text) append(Message::text(Role::User, *user_text));
    same_call_count = 0;
    last_call_key.clear();
    int broken_rounds = 0;
    int round = 0;

    for (;;) {
      if (cancelled) {
        tr.reason = "cancelled";
        break;
      }
      if (Clock::now() >= deadline) {
        tr.reason = "wall_time";
        tr.detail = "the turn ran longer than " + seconds_text(opt.limits.wall_time_s) +
                    " s (limits.wall_time_s)";
        break;
      }
      ++round;
      RoundOptions ro;
      ro.max_tokens = opt.limits.max_tokens - tr.generated_tokens;
      ro.deadline = deadline;
      ro.cancel = &cancelled;
      ro.chunk_tokens = opt.chunk_tokens;
      ro.on_progress = deps.on_progress;
      std::optional<std::string> channel;
      // Named, not temporaries: GCC 12 destroys co_await temporaries twice.
      ParserEventHandler on_event = [&](const harmony::ParserEvent& e) {
        switch (e.kind) {
          case harmony::ParserEvent::Kind::MessageStarted:
            channel = e.message.channel;
            emit(MessageStarted{channel.value_or(""), e.message.recipient.value_or("")});
            break;
          case harmony::ParserEvent::Kind::ContentDelta:
            emit(ContentDelta{channel.value_or(""), e.text});
            break;
          case harmony::ParserEvent::Kind::MessageDone:
            append(e.message);
            break;
          case harmony::ParserEvent::Kind::Error:
            emit(ParseFailed{e.error, e.text});
            break;
        }
      };
      auto round_op = completion.run(conv, ro, on_event);
      RoundResult rr = co_await std::move(round_op);
      tr.generated_tokens += rr.stats.generated_tokens;
      const FinishReason end = rr.finish;
      emit(RoundEnded{round, rr.stats.prompt_tokens, rr.stats.reused_tokens,
                      rr.stats.reprocessed_tokens, rr.stats.generated_tokens,
                      rr.stats.prefill_ms, rr.stats.decode_ms, to_string(end)});
      const std::vector<Message>& done = rr.messages;
      const std::vector<std::string>& errors = rr.parse_errors;

      if (end == FinishReason::backend_error) {
        tr.reason = "backend_error";
        tr.detail = rr.error;
        break;
      }
      if (end == FinishReason::cancelled) {
        tr.reason = "cancelled";
        break;
      }
      // The last completed message decides what happens next.
      const Message* last = done.empty() ? nullptr : &done.back();
      bool cut_off = end != FinishReason::tool_call && end != FinishReason::returned;
      if (last && is_real_recipient(last->recipient) && !(cut_off && !errors.empty())) {
        broken_rounds = 0;
        std::optional<std::string> stop = co_await dispatch(*last, tr, deadline);
        if (stop) {
          tr.reason = *stop;
          break;
        }
        if (cancelled) {
          tr.reason = "cancelled";
          break;
        }
        continue;
      }
      if (last && (end == FinishReason::returned || last->channel == std::optional<std::string>("final"))) {
        tr.reason = "final";
        tr.final_text = last->text_content();
        break;
      }
      if (end == FinishReason::max_tokens) {
        tr.reason = "max_tokens";
        tr.detail = "the turn generated " + std::to_string(tr.generated_tokens) +
                    " tokens without a final answer (limits.max_tokens)";
        break;
      }
      if (end == FinishReason::wall_time) continue;  // reported at the top of the loop
      // Nothing usable: the output was broken or stopped early. Tell the model and let it try
      // again, a few times.
      if (done.empty() && errors.empty()) {
        tr.reason = "model_stopped";
        tr.detail = "the model produced no output";
        break;
      }
      if (++broken_rounds >= 3) {
        tr.reason = "model_stopped";
        tr.detail = "the model's output could not be used three times in a row";
        break;
      }
      std::string why = errors.empty() ? "the message ended without a final answer or a tool call"
                                       : errors.back();
      warn("unusable model output: " + why);
      tool_message(kRuntimeAuthor,
                   "Your last output could not be used (" + why +
                       "). Nothing was run. Write a complete tool call ending in <|call|> or a "
                       "final answer on the final channel.",
                   "commentary");
    }

    double wall_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - t_start).count();
    emit(TurnEnded{tr.reason, tr.detail, tr.final_text, tr.tool_rounds, tr.generated_tokens,
                   wall_ms});
    co_return tr;
  }
};

AgentSession::AgentSession(SessionDeps deps, SessionOptions options)
    : impl_(std::make_unique<Impl>(std::move(deps), std::move(options))) {}

AgentSession::~AgentSession() = default;

void AgentSession::start_new() {
  Impl& s = *impl_;
  harmony::SystemContent sys = harmony::SystemContent::defaults();
  sys.reasoning_effort = effort_of(s.opt.reasoning);
  if (!s.opt.date.empty()) sys.conversation_start_date = s.opt.date;
  sys.tools = to_namespaces(s.deps.registry->system_tools());
  s.conv.messages.clear();
  s.append(Message::system(std::move(sys)));

  harmony::DeveloperContent dev;
  std::string instructions = s.opt.instructions;
  std::string tool_instr = s.deps.registry->instructions();
  if (!tool_instr.empty()) instructions += (instructions.empty() ? "" : "\n\n") + tool_instr;
  if (!instructions.empty()) dev.instructions = instructions;
  dev.tools = to_namespaces(s.deps.registry->developer_tools());
  if (dev.instructions || !dev.tools.empty()) s.append(Message::developer(std::move(dev)));
}

void AgentSession::resume(const std::vector<Event>& messages) {
  Impl& s = *impl_;
  s.conv.messages.clear();
  for (const Event& mj : messages) {
    auto m = harmony::message_from_json(mj);
    if (!m) throw std::runtime_error("transcript message: " + m.error());
    s.conv.messages.push_back(std::move(*m));
  }
  if (!s.conv.messages.empty()) {
    const Message& last = s.conv.messages.back();
    if (last.role == Role::Assistant && is_real_recipient(last.recipient)) {
      std::string author = trim(*last.recipient);
      auto res = s.deps.registry->resolve(author);
      if (res.tool) author = res.recipient;
      s.tool_message(author,
                     "The runtime stopped while this call was running; its result is unknown "
                     "and it was not run again. Check its effects before repeating it.",
                     last.channel.value_or("commentary"));
    }
  }
}

boost::asio::awaitable<TurnResult> AgentSession::run_turn(std::optional<std::string> user_text) {
  return impl_->run_turn(std::move(user_text));
}

void AgentSession::cancel() {
  impl_->cancelled = true;
  if (impl_->tool_wait) impl_->tool_wait->cancel();
}

const harmony::Conversation& AgentSession::conversation() const { return impl_->conv; }

bool AgentSession::turn_complete() const {
  for (auto it = impl_->conv.messages.rbegin(); it != impl_->conv.messages.rend(); ++it) {
    if (it->role == Role::User || it->role == Role::Tool) return false;
    if (it->role == Role::Assistant)
      return !is_real_recipient(it->recipient) && it->channel == std::optional<std::string>("final");
  }
  return false;
}

}  // namespace ossa::runtime
