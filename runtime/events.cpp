#include "runtime/events.hpp"

namespace ossa::runtime {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

Event fields(const SessionStarted& e) {
  return {{"id", e.id}, {"model", e.model}, {"config", e.config}};
}
Event fields(const SessionResumed& e) { return {{"id", e.id}, {"config", e.config}}; }
Event fields(const MessageStarted& e) {
  return {{"channel", e.channel}, {"recipient", e.recipient}};
}
Event fields(const ContentDelta& e) { return {{"channel", e.channel}, {"text", e.text}}; }
Event fields(const MessageAppended& e) { return {{"message", e.message}}; }
Event fields(const SystemReplaced& e) { return {{"message", e.message}}; }
Event fields(const RoundEnded& e) {
  return {{"round", e.round},
          {"prompt_tokens", e.prompt_tokens},
          {"reused_tokens", e.reused_tokens},
          {"reprocessed_tokens", e.reprocessed_tokens},
          {"generated_tokens", e.generated_tokens},
          {"prefill_ms", e.prefill_ms},
          {"decode_ms", e.decode_ms},
          {"end", e.end}};
}
Event fields(const ToolCalled& e) {
  return {{"recipient", e.recipient},
          {"resolved", e.resolved ? Event(*e.resolved) : Event(nullptr)},
          {"body", e.body},
          {"channel", e.channel},
          {"notes", e.notes}};
}
Event fields(const ApprovalDecided& e) {
  return {{"recipient", e.recipient}, {"mode", e.mode}, {"approved", e.approved}};
}
Event fields(const ToolFinished& e) {
  return {{"recipient", e.recipient},
          {"text", e.text},
          {"is_error", e.is_error},
          {"duration_ms", e.duration_ms},
          {"metadata", e.metadata}};
}
Event fields(const ParseFailed& e) { return {{"error", e.error}, {"raw", e.raw}}; }
Event fields(const Warning& e) { return {{"text", e.text}}; }
Event fields(const TurnEnded& e) {
  return {{"reason", e.reason},
          {"detail", e.detail},
          {"final", e.final_text},
          {"tool_rounds", e.tool_rounds},
          {"generated_tokens", e.generated_tokens},
          {"wall_ms", e.wall_ms}};
}

}  // namespace

const char* type_name(const SessionEvent& event) {
  return std::visit(Overloaded{
                        [](const SessionStarted&) { return "session_start"; },
                        [](const SessionResumed&) { return "session_resume"; },
                        [](const MessageStarted&) { return "message_started"; },
                        [](const ContentDelta&) { return "delta"; },
                        [](const MessageAppended&) { return "message"; },
                        [](const SystemReplaced&) { return "system_message"; },
                        [](const RoundEnded&) { return "round"; },
                        [](const ToolCalled&) { return "tool_call"; },
                        [](const ApprovalDecided&) { return "approval"; },
                        [](const ToolFinished&) { return "tool_result"; },
                        [](const ParseFailed&) { return "parse_error"; },
                        [](const Warning&) { return "warning"; },
                        [](const TurnEnded&) { return "turn_end"; },
                    },
                    event);
}

Event to_json(const SessionEvent& event, long long time_ms) {
  Event out = Event::object();
  out["type"] = type_name(event);
  out["time"] = time_ms != 0 ? time_ms : now_ms();
  Event f = std::visit([](const auto& e) { return fields(e); }, event);
  for (auto it = f.begin(); it != f.end(); ++it) out[it.key()] = std::move(it.value());
  return out;
}

bool TranscriptSink::recorded(const SessionEvent& event) {
  return !std::holds_alternative<MessageStarted>(event) &&
         !std::holds_alternative<ContentDelta>(event);
}

bool TranscriptSink::synced(const SessionEvent& event) {
  return std::holds_alternative<SessionStarted>(event) ||
         std::holds_alternative<SessionResumed>(event) ||
         std::holds_alternative<MessageAppended>(event) ||
         std::holds_alternative<SystemReplaced>(event) ||
         std::holds_alternative<RoundEnded>(event) || std::holds_alternative<ToolCalled>(event) ||
         std::holds_alternative<ApprovalDecided>(event) ||
         std::holds_alternative<TurnEnded>(event);
}

void TranscriptSink::on_event(const SessionEvent& event, const Event& json) {
  if (recorded(event)) writer_->append(json, synced(event));
}

void JsonLinesSink::on_event(const SessionEvent&, const Event& json) {
  std::string line = json.dump(-1, ' ', false, Event::error_handler_t::replace);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void EventBus::emit(const SessionEvent& event) const {
  if (sinks_.empty()) return;
  const Event json = to_json(event);
  for (const auto& s : sinks_) s->on_event(event, json);
}

}  // namespace ossa::runtime
