#pragma once
// What the two OpenAI request shapes (Chat Completions, Responses) are mapped to, and what a
// generation produces for them to be mapped back from:
//
//   request JSON --parse_chat_request / parse_responses_request--> GenerationRequest
//   GenerationRequest --TurnRunner (render, generate, tolerant parse, server tools)--> OutputEvents
//   OutputEvents --ChatEncoder / ResponsesEncoder--> stream chunks and the final body
//
// Everything here is plain data and pure functions: no sockets, no engine.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/harmony/conversation.hpp"
#include "runtime/server/api_error.hpp"

namespace ossa::server {

struct SamplingOptions {
  double temperature = 1.0;  // 0 = greedy
  double top_p = 1.0;
  std::optional<std::uint64_t> seed;
};

// What the server knows when mapping a request: the served model and the defaults.
struct MappingContext {
  std::string model_id;                  // the id /v1/models lists
  std::string date;                      // conversation start date (YYYY-MM-DD); empty: none
  std::string reasoning = "medium";      // default effort
  int max_tokens_limit = 16384;          // cap on max_tokens / max_output_tokens
  double default_temperature = 1.0;
  harmony::ToolNamespaces builtins;      // built-in namespaces this server can run (python, browser)
};

// The parts of a conversation the request gives; assemble() turns them into harmony messages.
struct ConversationParts {
  std::string instructions;                        // system/developer messages, `instructions`
  std::vector<harmony::ToolDescription> functions;  // client-side function tools
  std::vector<std::string> builtins;               // server-side namespaces: "python", "browser"
  harmony::ReasoningEffort effort = harmony::ReasoningEffort::Medium;
  std::string response_format;                     // harmony "# Response Formats" text, if any
  std::vector<harmony::Message> messages;          // user / assistant / tool messages
};

struct GenerationRequest {
  harmony::Conversation conversation;  // system + developer + history, ready to render
  // Harmony text the assistant's message starts with (a forced call for a named tool_choice),
  // rendered after `<|start|>assistant` and fed to the parser before the generated tokens.
  std::string prefill;
  SamplingOptions sampling;
  int max_tokens = 0;                     // generated tokens over the whole turn
  std::vector<std::string> stop;          // stop strings on the final answer
  std::vector<std::string> server_tools;  // namespaces the server runs itself
  bool stream = false;
  bool include_usage = false;
};

// What the runner reports while a turn is generated.
struct OutputEvent {
  enum class Kind {
    Started,     // an assistant message's header: message.channel / recipient known
    Delta,       // text appended to the current message
    Done,        // the message is complete
    ToolResult,  // the server ran a tool: message is the tool message appended
  };
  Kind kind = Kind::Delta;
  harmony::Message message;
  std::string text;
  bool server_tool = false;  // Started/Done: a call the server runs itself
  bool is_error = false;     // ToolResult: the tool failed (or was stopped, or refused the call)
};

struct TurnOutput {
  // Messages appended to the conversation: assistant messages and server tool results.
  std::vector<harmony::Message> messages;
  // stop | length | tool_calls | cancelled | error
  std::string finish = "stop";
  std::vector<std::string> warnings;  // recovered malformed output, guards
  std::string error;                  // finish == "error": what failed
  int prompt_tokens = 0;              // the first round's prompt
  int cached_tokens = 0;              // of which reused from a cached prefix
  int completion_tokens = 0;          // generated over all rounds
  int reasoning_tokens = 0;           // generated on the analysis channel
};

// harmony conversation from the parts: system message (effort, date, built-in namespaces),
// developer message (instructions, response format, function tools), then the messages.
harmony::Conversation assemble(const ConversationParts& parts, const MappingContext& ctx);

// A function tool's name for the client: "functions.get_weather" -> "get_weather"; other
// recipients unchanged. Trailing header words (" <|constrain|>json") are dropped.
std::string function_name(const std::string& recipient);
// True when a recipient names a call (not "all", "user", "assistant" or empty).
bool is_call(const std::optional<std::string>& recipient);
// The namespace of a recipient: "browser.search" -> "browser", "python" -> "python".
std::string recipient_namespace(const std::string& recipient);

harmony::ReasoningEffort parse_effort(const Json& value, const std::string& param);
// A JSON Schema given as tool parameters, checked to be an object.
harmony::ToolDescription function_tool(const Json& name, const Json& description,
                                       const Json& parameters, const std::string& param);
// The response_format / text.format section: json_object or json_schema; empty for text.
std::string response_format_text(const Json& format, const std::string& param);
SamplingOptions parse_sampling(const Json& body, const MappingContext& ctx);
int parse_max_tokens(const Json& body, const MappingContext& ctx,
                     std::initializer_list<const char*> names);
// A request JSON object from the body text; 400 for anything else.
Json parse_body(std::string_view body);
// obj[key], or a null value when obj is not an object or has no such key.
const Json& field(const Json& obj, const char* key);
// obj[key] when it is a string, else empty.
std::string string_field(const Json& obj, const char* key);
// The request's `model` must name this server's model: 400 when it is missing or not a
// string, 404 (model_not_found) when it names another.
void check_model(const Json& body, const MappingContext& ctx);
// A random id with a prefix: "chatcmpl-...", "resp_...", "call_...".
std::string make_id(const std::string& prefix);

}  // namespace ossa::server
