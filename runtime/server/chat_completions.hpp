#pragma once
// OpenAI Chat Completions <-> harmony.
//
// Request: system and developer messages become the developer instructions (the harmony system
// message is the server's: identity, reasoning effort, date); user text; assistant messages
// with `reasoning_content` (analysis), `content` (final, or the commentary preamble when the
// message also has tool_calls) and `tool_calls` (commentary calls to functions.NAME with
// <|constrain|>json); tool messages become functions.NAME results, the name found through
// tool_call_id. Response: analysis -> reasoning_content, calls -> tool_calls, the rest ->
// content; streamed as chat.completion.chunk deltas of the same fields.
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/server/generation_request.hpp"

namespace ossa::server {

// Throws ApiError (400 bad fields, 404 unknown model).
GenerationRequest parse_chat_request(const Json& body, const MappingContext& ctx);

// Builds both the stream and the final body from the same events, so a streamed answer
// assembled by a client equals the non-streamed one.
class ChatEncoder {
 public:
  ChatEncoder(std::string id, std::string model, std::int64_t created);

  // The first chunk (role: assistant).
  Json start() const;
  // Chunks for one event (none for events that show nothing to the client).
  std::vector<Json> on_event(const OutputEvent& event);
  // The closing chunk with finish_reason, then the usage chunk when asked for.
  std::vector<Json> finish(const TurnOutput& out, bool include_usage) const;
  // The non-streaming chat.completion body.
  Json completion(const TurnOutput& out) const;

  static std::string finish_reason(const TurnOutput& out, bool has_tool_calls);
  static Json usage(const TurnOutput& out);

 private:
  struct ToolCall {
    std::string id, name, arguments;
  };
  enum class Mode { None, Reasoning, Content, Call };
  Json chunk(Json delta, Json finish_reason = nullptr) const;

  std::string id_, model_;
  std::int64_t created_;
  Mode mode_ = Mode::None;
  std::string reasoning_, content_;
  std::vector<ToolCall> calls_;
};

}  // namespace ossa::server
