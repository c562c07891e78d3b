#include "runtime/server/chat_completions.hpp"

#include <map>

namespace ossa::server {
using harmony::Message;
using harmony::Role;

namespace {

// Text of a message's content: a string, an array of text parts, or null.
std::string content_text(const Json& content, const std::string& param, bool allow_null) {
  if (content.is_null()) {
    if (allow_null) return {};
    throw bad_field(param, "content is required");
  }
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw bad_field(param, "content must be a string or an array of parts");
  std::string out;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const Json& part = content[i];
    std::string p = param + "[" + std::to_string(i) + "]";
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
      throw bad_field(p, "each content part must be an object with a type");
    std::string type = part["type"].get<std::string>();
    if (type != "text" && type != "input_text" && type != "output_text")
      throw bad_field(p, "content parts of type '" + type +
                             "' are not supported: gpt-oss reads text only");
    if (!part.contains("text") || !part["text"].is_string())
      throw bad_field(p + ".text", "a text part needs a string text");
    out += part["text"].get<std::string>();
  }
  return out;
}

Message call_message(const std::string& name, const std::string& arguments) {
  Message m = Message::text(Role::Assistant, arguments);
  m.channel = "commentary";
  m.recipient = "functions." + name;
  m.content_type = "<|constrain|>json";
  return m;
}

Message channel_message(const std::string& channel, const std::string& text) {
  Message m = Message::text(Role::Assistant, text);
  m.channel = channel;
  return m;
}

void append_instructions(std::string& to, const std::string& text) {
  if (text.empty()) return;
  if (!to.empty()) to += "\n\n";
  to += text;
}

}  // namespace

GenerationRequest parse_chat_request(const Json& body, const MappingContext& ctx) {
  check_model(body, ctx);
  const Json& n = field(body, "n");
  if (!n.is_null() && (!n.is_number_integer() || n.get<std::int64_t>() != 1))
    throw bad_field("n", "only n=1 is supported");
  const Json& logprobs = field(body, "logprobs");
  if (logprobs.is_boolean() && logprobs.get<bool>())
    throw bad_field("logprobs", "logprobs are not supported");

  ConversationParts parts;
  parts.effort = ctx.reasoning == "low"    ? harmony::ReasoningEffort::Low
                 : ctx.reasoning == "high" ? harmony::ReasoningEffort::High
                                           : harmony::ReasoningEffort::Medium;
  if (!field(body, "reasoning_effort").is_null())
    parts.effort = parse_effort(body["reasoning_effort"], "reasoning_effort");

  // Tools.
  const Json& tools = field(body, "tools");
  if (!tools.is_null() && !tools.is_array()) throw bad_field("tools", "tools must be an array");
  std::vector<harmony::ToolDescription> functions;
  if (tools.is_array()) {
    for (std::size_t i = 0; i < tools.size(); ++i) {
      std::string p = "tools[" + std::to_string(i) + "]";
      const Json& t = tools[i];
      if (!t.is_object() || field(t, "type") != "function" || !field(t, "function").is_object())
        throw bad_field(p, "each tool must be {\"type\": \"function\", \"function\": {...}}");
      const Json& f = t["function"];
      functions.push_back(function_tool(field(f, "name"), field(f, "description"),
                                        field(f, "parameters"), p + ".function"));
    }
  }
  GenerationRequest req;
  const Json& choice = field(body, "tool_choice");
  std::string required_note;
  if (choice.is_null() || choice == "auto") {
  } else if (choice == "none") {
    functions.clear();
  } else if (choice == "required") {
    if (functions.empty()) throw bad_field("tool_choice", "tool_choice 'required' needs tools");
    required_note = "Call one of the functions before you answer.";
  } else if (choice.is_object() && field(choice, "type") == "function" &&
             field(choice, "function").is_object() &&
             field(choice["function"], "name").is_string()) {
    std::string name = choice["function"]["name"].get<std::string>();
    bool known = false;
    for (const auto& f : functions) known = known || f.name == name;
    if (!known) throw bad_field("tool_choice", "tool_choice names '" + name + "', not in tools");
    req.prefill = "<|channel|>commentary to=functions." + name + " <|constrain|>json<|message|>";
  } else {
    throw bad_field("tool_choice",
                    "tool_choice must be none, auto, required or {type: function, function: {name}}");
  }
  parts.functions = std::move(functions);
  parts.response_format = response_format_text(field(body, "response_format"), "response_format");

  // Messages.
  const Json& messages = field(body, "messages");
  if (!messages.is_array() || messages.empty())
    throw bad_field("messages", "messages must be a non-empty array");
  std::map<std::string, std::string> call_names;  // tool_call_id -> function name
  for (std::size_t i = 0; i < messages.size(); ++i) {
    std::string p = "messages[" + std::to_string(i) + "]";
    const Json& m = messages[i];
    if (!m.is_object() || !field(m, "role").is_string())
      throw bad_field(p, "each message must be an object with a string role");
    std::string role = m["role"].get<std::string>();
    if (role == "system" || role == "developer") {
      append_instructions(parts.instructions, content_text(field(m, "content"), p + ".content", false));
    } else if (role == "user") {
      parts.messages.push_back(
          Message::text(Role::User, content_text(field(m, "content"), p + ".content", false)));
    } else if (role == "assistant") {
      std::string reasoning;
      for (const char* key : {"reasoning_content", "reasoning"}) {
        const Json& r = field(m, key);
        if (r.is_string()) reasoning = r.get<std::string>();
        else if (!r.is_null()) throw bad_field(p + "." + key, "must be a string");
      }
      std::string content = content_text(field(m, "content"), p + ".content", true);
      const Json& calls = field(m, "tool_calls");
      if (!calls.is_null() && !calls.is_array()) throw bad_field(p + ".tool_calls", "must be an array");
      if (!reasoning.empty()) parts.messages.push_back(channel_message("analysis", reasoning));
      if (calls.is_array() && !calls.empty()) {
        if (!content.empty()) parts.messages.push_back(channel_message("commentary", content));
        for (std::size_t k = 0; k < calls.size(); ++k) {
          std::string cp = p + ".tool_calls[" + std::to_string(k) + "]";
          const Json& c = calls[k];
          if (!c.is_object() || !field(c, "function").is_object() ||
              !field(c["function"], "name").is_string())
            throw bad_field(cp, "a tool call needs function.name");
          const Json& args = field(c["function"], "arguments");
          if (!args.is_null() && !args.is_string())
            throw bad_field(cp + ".function.arguments", "arguments must be a string");
          std::string name = c["function"]["name"].get<std::string>();
          if (field(c, "id").is_string()) call_names[c["id"].get<std::string>()] = name;
          parts.messages.push_back(call_message(name, args.is_string() ? args.get<std::string>() : "{}"));
        }
      } else if (!content.empty() || reasoning.empty()) {
        parts.messages.push_back(channel_message("final", content));
      }
    } else if (role == "tool" || role == "function") {
      std::string name;
      const Json& id = field(m, "tool_call_id");
      if (id.is_string()) {
        auto it = call_names.find(id.get<std::string>());
        if (it == call_names.end())
          throw bad_field(p + ".tool_call_id", "tool_call_id '" + id.get<std::string>() +
                                                   "' matches no earlier assistant tool call");
        name = it->second;
      } else if (field(m, "name").is_string()) {
        name = m["name"].get<std::string>();
      } else {
        throw bad_field(p + ".tool_call_id", "a tool message needs tool_call_id");
      }
      parts.messages.push_back(Message::tool_result(
          "functions." + name, content_text(field(m, "content"), p + ".content", false)));
    } else {
      throw bad_field(p + ".role", "unknown role '" + role + "'");
    }
  }
  append_instructions(parts.instructions, required_note);

  req.conversation = assemble(parts, ctx);
  req.sampling = parse_sampling(body, ctx);
  req.max_tokens = parse_max_tokens(body, ctx, {"max_completion_tokens", "max_tokens"});
  const Json& stop = field(body, "stop");
  if (stop.is_string()) {
    req.stop.push_back(stop.get<std::string>());
  } else if (stop.is_array()) {
    if (stop.size() > 4) throw bad_field("stop", "at most 4 stop sequences");
    for (const Json& s : stop) {
      if (!s.is_string() || s.get<std::string>().empty())
        throw bad_field("stop", "stop sequences must be non-empty strings");
      req.stop.push_back(s.get<std::string>());
    }
  } else if (!stop.is_null()) {
    throw bad_field("stop", "stop must be a string or an array of strings");
  }
  for (auto it = req.stop.begin(); it != req.stop.end();)
    it = it->empty() ? req.stop.erase(it) : it + 1;
  const Json& stream = field(body, "stream");
  if (!stream.is_null() && !stream.is_boolean()) throw bad_field("stream", "must be a boolean");
  req.stream = stream.is_boolean() && stream.get<bool>();
  const Json& so = field(body, "stream_options");
  if (so.is_object() && field(so, "include_usage").is_boolean())
    req.include_usage = so["include_usage"].get<bool>();
  return req;
}

ChatEncoder::ChatEncoder(std::string id, std::string model, std::int64_t created)
    : id_(std::move(id)), model_(std::move(model)), created_(created) {}

Json ChatEncoder::chunk(Json delta, Json finish_reason) const {
  Json choice = Json::object();
  choice["index"] = 0;
  choice["delta"] = std::move(delta);
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = std::move(finish_reason);
  Json c = Json::object();
  c["id"] = id_;
  c["object"] = "chat.completion.chunk";
  c["created"] = created_;
  c["model"] = model_;
  c["choices"] = Json::array({std::move(choice)});
  return c;
}

Json ChatEncoder::start() const { return chunk(Json{{"role", "assistant"}, {"content", ""}}); }

std::vector<Json> ChatEncoder::on_event(const OutputEvent& ev) {
  std::vector<Json> out;
  switch (ev.kind) {
    case OutputEvent::Kind::Started:
      if (is_call(ev.message.recipient)) {
        mode_ = Mode::Call;
        calls_.push_back({make_id("call_"), function_name(*ev.message.recipient), ""});
        Json tc = Json::object();
        tc["index"] = calls_.size() - 1;
        tc["id"] = calls_.back().id;
        tc["type"] = "function";
        tc["function"] = Json{{"name", calls_.back().name}, {"arguments", ""}};
        out.push_back(chunk(Json{{"tool_calls", Json::array({tc})}}));
      } else if (ev.message.channel && *ev.message.channel == "analysis") {
        mode_ = Mode::Reasoning;
      } else {
        mode_ = Mode::Content;
      }
      break;
    case OutputEvent::Kind::Delta:
      if (ev.text.empty()) break;
      if (mode_ == Mode::Reasoning) {
        reasoning_ += ev.text;
        out.push_back(chunk(Json{{"reasoning_content", ev.text}}));
      } else if (mode_ == Mode::Call) {
        calls_.back().arguments += ev.text;
        Json tc = Json::object();
        tc["index"] = calls_.size() - 1;
        tc["function"] = Json{{"arguments", ev.text}};
        out.push_back(chunk(Json{{"tool_calls", Json::array({tc})}}));
      } else {
        content_ += ev.text;
        out.push_back(chunk(Json{{"content", ev.text}}));
      }
      break;
    case OutputEvent::Kind::Done:
    case OutputEvent::Kind::ToolResult:
      mode_ = Mode::None;
      break;
  }
  return out;
}

std::string ChatEncoder::finish_reason(const TurnOutput& out, bool has_tool_calls) {
  if (out.finish == "length") return "length";
  if (has_tool_calls || out.finish == "tool_calls") return "tool_calls";
  return "stop";
}

Json ChatEncoder::usage(const TurnOutput& out) {
  Json u = Json::object();
  u["prompt_tokens"] = out.prompt_tokens;
  u["completion_tokens"] = out.completion_tokens;
  u["total_tokens"] = out.prompt_tokens + out.completion_tokens;
  u["prompt_tokens_details"] = Json{{"cached_tokens", out.cached_tokens}};
  u["completion_tokens_details"] = Json{{"reasoning_tokens", out.reasoning_tokens}};
  return u;
}

std::vector<Json> ChatEncoder::finish(const TurnOutput& out, bool include_usage) const {
  std::vector<Json> chunks;
  Json last = chunk(Json::object(), finish_reason(out, !calls_.empty()));
  if (!out.warnings.empty()) last["warnings"] = out.warnings;
  chunks.push_back(std::move(last));
  if (include_usage) {
    Json u = chunk(Json::object());
    u["choices"] = Json::array();
    u["usage"] = usage(out);
    chunks.push_back(std::move(u));
  }
  return chunks;
}

Json ChatEncoder::completion(const TurnOutput& out) const {
  Json msg = Json::object();
  msg["role"] = "assistant";
  msg["content"] = content_.empty() && !calls_.empty() ? Json(nullptr) : Json(content_);
  if (!reasoning_.empty()) msg["reasoning_content"] = reasoning_;
  if (!calls_.empty()) {
    Json calls = Json::array();
    for (const auto& c : calls_) {
      Json tc = Json::object();
      tc["id"] = c.id;
      tc["type"] = "function";
      tc["function"] = Json{{"name", c.name}, {"arguments", c.arguments}};
      calls.push_back(std::move(tc));
    }
    msg["tool_calls"] = std::move(calls);
  }
  Json choice = Json::object();
  choice["index"] = 0;
  choice["message"] = std::move(msg);
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_reason(out, !calls_.empty());
  Json body = Json::object();
  body["id"] = id_;
  body["object"] = "chat.completion";
  body["created"] = created_;
  body["model"] = model_;
  body["choices"] = Json::array({std::move(choice)});
  body["usage"] = usage(out);
  if (!out.warnings.empty()) body["warnings"] = out.warnings;
  return body;
}

}  // namespace ossa::server
