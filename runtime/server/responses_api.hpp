#pragma once
// OpenAI Responses API <-> harmony.
//
// Request: `input` (text, or items: messages, function_call, function_call_output, reasoning,
// code_interpreter_call), `instructions`, `previous_response_id` (its stored conversation comes
// first; instructions are not carried over, as with OpenAI), function tools (the client runs
// them) and the built-ins the server runs itself: code_interpreter -> harmony `python`,
// web_search -> harmony `browser`. Output items: reasoning, message, function_call,
// code_interpreter_call, web_search_call; streamed as the semantic events
// (response.created, response.output_item.added, response.output_text.delta, ...).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/server/generation_request.hpp"

namespace ossa::server {

struct ResponsesRequest {
  GenerationRequest gen;
  std::optional<std::string> previous_response_id;
  bool store = true;
  // The request's settings echoed in the response object.
  Json echo = Json::object();
  // Messages after the system/developer ones: history + this input (stored with the output).
  std::vector<harmony::Message> history;
};

// Looks up the stored conversation of a previous response; nullopt when unknown.
using HistoryLookup =
    std::function<std::optional<std::vector<harmony::Message>>(const std::string& id)>;

// Throws ApiError (400 bad fields, 404 unknown model or previous response).
ResponsesRequest parse_responses_request(const Json& body, const MappingContext& ctx,
                                         const HistoryLookup& previous);

class ResponsesEncoder {
 public:
  ResponsesEncoder(std::string id, std::string model, std::int64_t created, Json echo);

  // response.created + response.in_progress.
  std::vector<Json> start();
  std::vector<Json> on_event(const OutputEvent& event);
  // response.completed (or .incomplete / .failed) carrying the whole response.
  std::vector<Json> finish(const TurnOutput& out);
  // The response object as it stands (status "completed" etc. after finish()).
  Json response(const TurnOutput* out) const;

  const std::string& id() const { return id_; }

 private:
  enum class Kind { None, Reasoning, Message, FunctionCall, Python, Search };
  Json event(const char* type, Json fields);
  Json& item() { return items_.back(); }
  std::size_t index() const { return items_.size() - 1; }
  std::vector<Json> close_item();

  std::string id_, model_;
  std::int64_t created_;
  Json echo_;
  std::int64_t seq_ = 0;
  Kind kind_ = Kind::None;
  bool open_ = false;  // the last item still expects events
  std::vector<Json> items_;
  std::string status_ = "in_progress";
};

}  // namespace ossa::server
