#pragma once
// What happens in an agent session, as typed events, and the sinks that receive them.
//
// Each thing that happens is one struct below; SessionEvent is their variant. An event is
// serialised once, by to_json(), into the JSON object every sink receives beside the typed
// value: the transcript line, the `--json` line on stdout and (later) a server-sent event are
// the same object. Every JSON event has "type" (the name in each struct's comment) and "time"
// (ms since the Unix epoch, set when the event is made).
//
//   EventBus bus;
//   bus.add(std::make_shared<TranscriptSink>(writer));   // first: durable before it is shown
//   bus.add(std::make_shared<Display>(Display::Mode::terminal, true));
//   bus.emit(Warning{"the model repeated a call"});
//
// A sink is called on the session's thread, in the order the sinks were added, and must not
// block for long (the display writes to the terminal; a server sink queues to its connection).
// An exception from a sink (TranscriptError: the disk is full) propagates out of emit(): a
// session that cannot record what it does stops.
//
// Adding a sink (e.g. the HTTP server's SSE stream): derive from EventSink, read the typed
// event with std::get_if / std::visit, or forward the JSON as it is.
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runtime/transcript.hpp"

namespace ossa::runtime {

// "session_start": a new session's first event (written by the runner, transcript only).
struct SessionStarted {
  std::string id;
  std::string model;
  Event config;  // the effective configuration (to_json(Config))
};

// "session_resume": a session continued from its transcript.
struct SessionResumed {
  std::string id;
  Event config;
};

// "message_started": the model began a message (header parsed). recipient empty: not a call.
struct MessageStarted {
  std::string channel;
  std::string recipient;
};

// "delta": text the model appended to the message it is writing.
struct ContentDelta {
  std::string channel;
  std::string text;
};

// "message": a message appended to the conversation (harmony message JSON). The conversation
// is exactly these, in order; a transcript's are fsynced before anything else happens.
struct MessageAppended {
  Event message;
};

// "system_message": the conversation's system message replaced (chat's /effort): the
// conversation goes on with this one in place of its first message.
struct SystemReplaced {
  Event message;
};

// "round": one render-generate-parse round ended (completion.hpp's statistics).
struct RoundEnded {
  int round = 0;
  std::size_t prompt_tokens = 0;
  std::size_t reused_tokens = 0;       // prompt tokens served from the KV cache
  std::size_t reprocessed_tokens = 0;  // prompt tokens the engine processed
  int generated_tokens = 0;
  double prefill_ms = 0;
  double decode_ms = 0;
  std::string end;  // to_string(FinishReason): return | call | max_tokens | wall_time | ...
};

// "tool_call": a call about to be dispatched.
struct ToolCalled {
  std::string recipient;                // as the model wrote it
  std::optional<std::string> resolved;  // the tool's canonical recipient; nullopt: unknown tool
  std::string body;
  std::string channel;
  Event notes = Event::object();  // repairs applied, alias used (tools::Registry::Prepared)
};

// "approval": the answer for a tool that needs approval.
struct ApprovalDecided {
  std::string recipient;
  std::string mode;  // ask | all | none
  bool approved = false;
};

// "tool_result": what a call returned (or why it did not run).
struct ToolFinished {
  std::string recipient;  // the tool's canonical recipient, or the name the model used
  std::string text;
  bool is_error = false;
  double duration_ms = 0;
  Event metadata = Event::object();
};

// "parse_error": model output the tolerant parser could not use (raw: its text).
struct ParseFailed {
  std::string error;
  std::string raw;
};

// "warning": something the user should know (a repeated call, unusable output).
struct Warning {
  std::string text;
};

// "turn_end": the turn stopped. reason: final | max_tool_rounds | max_tokens | wall_time |
// repeated_call | cancelled | model_stopped | backend_error.
struct TurnEnded {
  std::string reason;
  std::string detail;
  std::string final_text;  // JSON key "final"
  int tool_rounds = 0;
  int generated_tokens = 0;
  double wall_ms = 0;
};

using SessionEvent =
    std::variant<SessionStarted, SessionResumed, MessageStarted, ContentDelta, MessageAppended,
                 SystemReplaced, RoundEnded, ToolCalled, ApprovalDecided, ToolFinished, ParseFailed, Warning,
                 TurnEnded>;

// The event's "type" string.
const char* type_name(const SessionEvent& event);
// The one serialisation: {"type", "time", fields...}. `time_ms` 0: now.
Event to_json(const SessionEvent& event, long long time_ms = 0);

class EventSink {
 public:
  virtual ~EventSink() = default;
  // `json` is to_json(event), made once for every sink.
  virtual void on_event(const SessionEvent& event, const Event& json) = 0;
};

// The record on disk: every event except the streaming ones (message_started, delta), each
// line fsynced when losing it would lose the conversation (messages, calls, approvals, rounds,
// session start/resume, turn end).
class TranscriptSink final : public EventSink {
 public:
  explicit TranscriptSink(TranscriptWriter& writer) : writer_(&writer) {}
  void on_event(const SessionEvent& event, const Event& json) override;
  // Whether the transcript keeps this event, and whether it is synced before returning.
  static bool recorded(const SessionEvent& event);
  static bool synced(const SessionEvent& event);

 private:
  TranscriptWriter* writer_;
};

// Each event as one JSON line on a stream (`ossa run --json`).
class JsonLinesSink final : public EventSink {
 public:
  explicit JsonLinesSink(std::FILE* out = stdout) : out_(out) {}
  void on_event(const SessionEvent& event, const Event& json) override;

 private:
  std::FILE* out_;
};

// Calls a function (tests, adapters).
class CallbackSink final : public EventSink {
 public:
  using Fn = std::function<void(const SessionEvent&, const Event&)>;
  explicit CallbackSink(Fn fn) : fn_(std::move(fn)) {}
  void on_event(const SessionEvent& event, const Event& json) override { fn_(event, json); }

 private:
  Fn fn_;
};

// Sinks in order; emit() serialises once and hands the event to each.
class EventBus {
 public:
  void add(std::shared_ptr<EventSink> sink) { sinks_.push_back(std::move(sink)); }
  void clear() { sinks_.clear(); }
  bool empty() const { return sinks_.empty(); }
  void emit(const SessionEvent& event) const;

 private:
  std::vector<std::shared_ptr<EventSink>> sinks_;
};

}  // namespace ossa::runtime
