#pragma once
// The harmony data model: messages, system/developer content, tool descriptions, and their JSON
// form (the shape used by OpenAI's harmony library and by the conformance vectors):
//
//   {"messages": [
//     {"role": "system", "content": [{"type": "system_content", "model_identity": "...",
//        "reasoning_effort": "High", "tools": null, "conversation_start_date": "2025-06-28",
//        "knowledge_cutoff": "2024-06", "channel_config": {"valid_channels": [...],
//        "channel_required": true}}]},
//     {"role": "developer", "content": [{"type": "developer_content", "instructions": "...",
//        "tools": {"functions": {"name": "functions", "description": null,
//          "tools": [{"name": "get_weather", "description": "...", "parameters": {JSON Schema}}]}}}]},
//     {"role": "user", "content": "plain string is one text item"},
//     {"role": "assistant", "channel": "commentary", "recipient": "functions.get_weather",
//      "content_type": "<|constrain|>json", "content": [{"type": "text", "text": "{...}"}]},
//     {"role": "tool", "name": "functions.get_weather", "recipient": "assistant",
//      "channel": "commentary", "content": [{"type": "text", "text": "{...}"}]}]}
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/harmony/result.hpp"

namespace ossa::harmony {

// Key order inside tool parameter schemas is significant (it is the rendered property order).
using Json = nlohmann::ordered_json;

enum class Role { User, Assistant, System, Developer, Tool };
std::string_view to_string(Role role);  // lower case, as rendered
std::optional<Role> parse_role(std::string_view name);

enum class ReasoningEffort { Low, Medium, High };
std::string_view to_string(ReasoningEffort effort);  // "low" | "medium" | "high"

struct ChannelConfig {
  std::vector<std::string> valid_channels;
  bool channel_required = false;
};

// One function in a tool namespace. `parameters` is a JSON Schema (usually type object);
// absent renders as `() => any`.
struct ToolDescription {
  std::string name;
  std::optional<std::string> description;
  std::optional<Json> parameters;
};

struct ToolNamespace {
  std::string name;
  std::optional<std::string> description;
  std::vector<ToolDescription> tools;
};

// Namespaces by key; rendered in ascending key order (the heading uses ToolNamespace::name).
using ToolNamespaces = std::map<std::string, ToolNamespace>;

// The system message body. Absent fields are not rendered.
struct SystemContent {
  std::optional<std::string> model_identity;
  std::optional<ReasoningEffort> reasoning_effort;
  ToolNamespaces tools;  // built-in tools only: "browser", "python"
  std::optional<std::string> conversation_start_date;
  std::optional<std::string> knowledge_cutoff;
  std::optional<ChannelConfig> channel_config;

  // The reference library's defaults: ChatGPT identity, Medium effort, cutoff 2024-06, no
  // date, channels analysis/commentary/final (required), no tools.
  static SystemContent defaults();
};

// The developer message body ("system prompt" of other formats) and function tools
// (namespace key "functions").
struct DeveloperContent {
  std::optional<std::string> instructions;
  ToolNamespaces tools;
};

struct TextContent {
  std::string text;
};

using Content = std::variant<TextContent, SystemContent, DeveloperContent>;

struct Message {
  Role role = Role::User;
  std::optional<std::string> name;  // author name; mandatory for Role::Tool (e.g. "functions.f")
  std::optional<std::string> recipient;
  std::optional<std::string> channel;
  std::optional<std::string> content_type;  // "<|constrain|>json", "json", "code", ...
  std::vector<Content> content;

  static Message text(Role role, std::string text);
  static Message system(SystemContent content);
  static Message developer(DeveloperContent content);
  // A tool result: author `tool_name`, addressed to the assistant, on `channel`.
  static Message tool_result(std::string tool_name, std::string text,
                             std::string channel = "commentary");

  // Concatenated text items (system/developer items contribute nothing).
  std::string text_content() const;
};

struct Conversation {
  std::vector<Message> messages;
};

// JSON in the shape above. Unknown fields are ignored; wrong types are errors.
Result<Conversation> conversation_from_json(const Json& json);
Result<Message> message_from_json(const Json& json);
// A namespace {"name","description","tools":[...]} or a single tool {"name","description",
// "parameters"}.
Result<ToolNamespace> tool_namespace_from_json(const Json& json);
Result<ToolDescription> tool_description_from_json(const Json& json);

// Message JSON as the parser vectors write it: absent fields omitted, content as a list of
// text items.
Json to_json(const Message& message);
Json to_json(const Conversation& conversation);

}  // namespace ossa::harmony
