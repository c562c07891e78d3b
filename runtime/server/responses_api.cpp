#include "runtime/server/responses_api.hpp"

#include <map>

namespace ossa::server {
using harmony::Message;
using harmony::Role;

namespace {

std::string string_field(const Json& obj, const char* key, const std::string& param) {
  const Json& v = field(obj, key);
  if (!v.is_string()) throw bad_field(param + "." + key, std::string(key) + " must be a string");
  return v.get<std::string>();
}

// Text of message content: a string or parts (input_text, output_text, text).
std::string content_text(const Json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw bad_field(param, "content must be a string or an array of parts");
  std::string out;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const Json& part = content[i];
    std::string p = param + "[" + std::to_string(i) + "]";
    std::string type = field(part, "type").is_string() ? part["type"].get<std::string>() : "";
    if (type != "input_text" && type != "output_text" && type != "text")
      throw bad_field(p, "content parts of type '" + type +
                             "' are not supported: gpt-oss reads text only");
    out += string_field(part, "text", p);
  }
  return out;
}

Message assistant(const std::string& channel, const std::string& text) {
  Message m = Message::text(Role::Assistant, text);
  m.channel = channel;
  return m;
}

Message call(const std::string& recipient, const std::string& channel, const std::string& body,
             std::optional<std::string> content_type) {
  Message m = assistant(channel, body);
  m.recipient = recipient;
  m.content_type = std::move(content_type);
  return m;
}

// The function name of the last call in `messages` (a result whose call_id we never saw
// answers the call just before it, as harmony orders them).
std::string last_call_name(const std::vector<Message>& messages) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it)
    if (it->role == Role::Assistant && is_call(it->recipient)) return function_name(*it->recipient);
  return {};
}

}  // namespace

ResponsesRequest parse_responses_request(const Json& body, const MappingContext& ctx,
                                         const HistoryLookup& previous) {
  ResponsesRequest rr;
  check_model(body, ctx);

  ConversationParts parts;
  parts.effort = ctx.reasoning == "low"    ? harmony::ReasoningEffort::Low
                 : ctx.reasoning == "high" ? harmony::ReasoningEffort::High
                                           : harmony::ReasoningEffort::Medium;
  const Json& reasoning = field(body, "reasoning");
  if (!reasoning.is_null() && !reasoning.is_object())
    throw bad_field("reasoning", "reasoning must be an object");
  if (!field(reasoning, "effort").is_null())
    parts.effort = parse_effort(reasoning["effort"], "reasoning.effort");

  const Json& instructions = field(body, "instructions");
  if (instructions.is_string()) parts.instructions = instructions.get<std::string>();
  else if (!instructions.is_null()) throw bad_field("instructions", "must be a string");

  // Tools.
  const Json& tools = field(body, "tools");
  if (!tools.is_null() && !tools.is_array()) throw bad_field("tools", "tools must be an array");
  std::vector<harmony::ToolDescription> functions;
  if (tools.is_array()) {
    for (std::size_t i = 0; i < tools.size(); ++i) {
      std::string p = "tools[" + std::to_string(i) + "]";
      const Json& t = tools[i];
      std::string type = field(t, "type").is_string() ? t["type"].get<std::string>() : "";
      std::string builtin;
      if (type == "function") {
        functions.push_back(function_tool(field(t, "name"), field(t, "description"),
                                          field(t, "parameters"), p));
        continue;
      } else if (type == "code_interpreter") {
        builtin = "python";
      } else if (type.rfind("web_search", 0) == 0) {
        builtin = "browser";
      } else {
        throw bad_field(p + ".type", "unsupported tool type '" + type +
                                         "' (function, code_interpreter, web_search)");
      }
      if (!ctx.builtins.count(builtin))
        throw bad_field(p + ".type", "this server does not run " + type +
                                         " (start it with --tools " + builtin + ")");
      bool seen = false;
      for (const auto& b : parts.builtins) seen = seen || b == builtin;
      if (!seen) parts.builtins.push_back(builtin);
    }
  }
  const Json& choice = field(body, "tool_choice");
  if (choice.is_null() || choice == "auto") {
  } else if (choice == "none") {
    functions.clear();
    parts.builtins.clear();
  } else if (choice == "required") {
    if (functions.empty() && parts.builtins.empty())
      throw bad_field("tool_choice", "tool_choice 'required' needs tools");
    parts.instructions += std::string(parts.instructions.empty() ? "" : "\n\n") +
                          "Call one of the tools before you answer.";
  } else if (choice.is_object() && field(choice, "type") == "function" &&
             field(choice, "name").is_string()) {
    std::string name = choice["name"].get<std::string>();
    bool known = false;
    for (const auto& f : functions) known = known || f.name == name;
    if (!known) throw bad_field("tool_choice", "tool_choice names '" + name + "', not in tools");
    rr.gen.prefill = "<|channel|>commentary to=functions." + name + " <|constrain|>json<|message|>";
  } else if (choice.is_object() && field(choice, "type").is_string()) {
    // {type: code_interpreter} and the like: the tool is offered; the model decides.
  } else {
    throw bad_field("tool_choice", "tool_choice must be none, auto, required or a tool");
  }
  parts.functions = std::move(functions);
  const Json& text = field(body, "text");
  if (!text.is_null() && !text.is_object()) throw bad_field("text", "text must be an object");
  parts.response_format = response_format_text(field(text, "format"), "text.format");

  // History.
  const Json& prev = field(body, "previous_response_id");
  if (prev.is_string()) {
    rr.previous_response_id = prev.get<std::string>();
    auto h = previous ? previous(*rr.previous_response_id) : std::nullopt;
    if (!h)
      throw ApiError(404, "Previous response with id '" + *rr.previous_response_id + "' not found.",
                     "invalid_request_error", "previous_response_id", "previous_response_not_found");
    parts.messages = std::move(*h);
  } else if (!prev.is_null()) {
    throw bad_field("previous_response_id", "must be a string");
  }

  // Input.
  const Json& input = field(body, "input");
  std::map<std::string, std::string> call_names;
  if (input.is_string()) {
    parts.messages.push_back(Message::text(Role::User, input.get<std::string>()));
  } else if (input.is_array()) {
    for (std::size_t i = 0; i < input.size(); ++i) {
      std::string p = "input[" + std::to_string(i) + "]";
      const Json& it = input[i];
      if (!it.is_object()) throw bad_field(p, "each input item must be an object");
      std::string type = field(it, "type").is_string() ? it["type"].get<std::string>() : "message";
      if (type == "message") {
        std::string role = string_field(it, "role", p);
        std::string t = content_text(field(it, "content"), p + ".content");
        if (role == "user") parts.messages.push_back(Message::text(Role::User, t));
        else if (role == "assistant") parts.messages.push_back(assistant("final", t));
        else if (role == "system" || role == "developer")
          parts.instructions += (parts.instructions.empty() ? "" : "\n\n") + t;
        else throw bad_field(p + ".role", "unknown role '" + role + "'");
      } else if (type == "function_call") {
        std::string name = string_field(it, "name", p);
        std::string args = field(it, "arguments").is_string() ? it["arguments"].get<std::string>() : "{}";
        if (field(it, "call_id").is_string()) call_names[it["call_id"].get<std::string>()] = name;
        parts.messages.push_back(call("functions." + name, "commentary", args, "<|constrain|>json"));
      } else if (type == "function_call_output") {
        std::string id = string_field(it, "call_id", p);
        const Json& output = field(it, "output");
        std::string out = output.is_string()                                  ? output.get<std::string>()
                          : output.is_object() && field(output, "text").is_string() ? output["text"].get<std::string>()
                                                                                    : content_text(output, p + ".output");
        auto found = call_names.find(id);
        std::string name = found != call_names.end() ? found->second : last_call_name(parts.messages);
        if (name.empty())
          throw bad_field(p + ".call_id", "call_id '" + id + "' answers no earlier function call");
        parts.messages.push_back(Message::tool_result("functions." + name, out));
      } else if (type == "reasoning") {
        std::string t;
        for (const char* key : {"content", "summary"}) {
          const Json& c = field(it, key);
          if (!c.is_array()) continue;
          for (const Json& part : c)
            if (field(part, "text").is_string()) t += part["text"].get<std::string>();
          if (!t.empty()) break;
        }
        if (!t.empty()) parts.messages.push_back(assistant("analysis", t));
      } else if (type == "code_interpreter_call") {
        const Json& code = field(it, "code");
        parts.messages.push_back(
            call("python", "analysis", code.is_string() ? code.get<std::string>() : "", "code"));
        std::string logs;
        if (field(it, "outputs").is_array())
          for (const Json& o : it["outputs"])
            if (field(o, "logs").is_string()) logs += o["logs"].get<std::string>();
        parts.messages.push_back(Message::tool_result("python", logs, "analysis"));
      } else {
        throw bad_field(p + ".type", "unsupported input item type '" + type + "'");
      }
    }
  } else if (!input.is_null()) {
    throw bad_field("input", "input must be a string or an array of items");
  }
  if (parts.messages.empty()) throw bad_field("input", "input is required");

  rr.history = parts.messages;
  rr.gen.conversation = assemble(parts, ctx);
  rr.gen.sampling = parse_sampling(body, ctx);
  rr.gen.max_tokens = parse_max_tokens(body, ctx, {"max_output_tokens"});
  rr.gen.server_tools = parts.builtins;
  const Json& stream = field(body, "stream");
  if (!stream.is_null() && !stream.is_boolean()) throw bad_field("stream", "must be a boolean");
  rr.gen.stream = stream.is_boolean() && stream.get<bool>();
  const Json& store = field(body, "store");
  if (!store.is_null() && !store.is_boolean()) throw bad_field("store", "must be a boolean");
  rr.store = !store.is_boolean() || store.get<bool>();

  Json& e = rr.echo;
  e["instructions"] = instructions.is_string() ? instructions : Json(nullptr);
  e["max_output_tokens"] = field(body, "max_output_tokens");
  e["parallel_tool_calls"] = false;
  e["previous_response_id"] = rr.previous_response_id ? Json(*rr.previous_response_id) : Json(nullptr);
  e["reasoning"] = Json{{"effort", std::string(harmony::to_string(parts.effort))}, {"summary", nullptr}};
  e["store"] = rr.store;
  e["temperature"] = rr.gen.sampling.temperature;
  e["text"] = text.is_object() && text.contains("format") ? text : Json{{"format", {{"type", "text"}}}};
  e["tool_choice"] = choice.is_null() ? Json("auto") : choice;
  e["tools"] = tools.is_array() ? tools : Json::array();
  e["top_p"] = rr.gen.sampling.top_p;
  e["truncation"] = "disabled";
  e["metadata"] = field(body, "metadata").is_object() ? body["metadata"] : Json::object();
  return rr;
}

ResponsesEncoder::ResponsesEncoder(std::string id, std::string model, std::int64_t created, Json echo)
    : id_(std::move(id)), model_(std::move(model)), created_(created), echo_(std::move(echo)) {}

Json ResponsesEncoder::event(const char* type, Json fields) {
  Json e = Json::object();
  e["type"] = type;
  e["sequence_number"] = seq_++;
  for (auto& [k, v] : fields.items()) e[k] = v;
  return e;
}

Json ResponsesEncoder::response(const TurnOutput* out) const {
  Json r = Json::object();
  r["id"] = id_;
  r["object"] = "response";
  r["created_at"] = created_;
  r["status"] = status_;
  r["error"] = nullptr;
  r["incomplete_details"] = nullptr;
  r["model"] = model_;
  r["output"] = items_;
  for (auto& [k, v] : echo_.items()) r[k] = v;
  r["usage"] = nullptr;
  if (out) {
    if (out->finish == "length")
      r["incomplete_details"] = Json{{"reason", "max_output_tokens"}};
    if (out->finish == "error" || out->finish == "cancelled")
      r["error"] = Json{{"code", "server_error"}, {"message", out->error.empty() ? out->finish : out->error}};
    Json u = Json::object();
    u["input_tokens"] = out->prompt_tokens;
    u["input_tokens_details"] = Json{{"cached_tokens", out->cached_tokens}};
    u["output_tokens"] = out->completion_tokens;
    u["output_tokens_details"] = Json{{"reasoning_tokens", out->reasoning_tokens}};
    u["total_tokens"] = out->prompt_tokens + out->completion_tokens;
    r["usage"] = std::move(u);
    if (!out->warnings.empty()) r["warnings"] = out->warnings;
  }
  return r;
}

std::vector<Json> ResponsesEncoder::start() {
  std::vector<Json> out;
  out.push_back(event("response.created", Json{{"response", response(nullptr)}}));
  out.push_back(event("response.in_progress", Json{{"response", response(nullptr)}}));
  return out;
}

std::vector<Json> ResponsesEncoder::close_item() {
  std::vector<Json> out;
  if (!open_) return out;
  open_ = false;
  Json& it = item();
  std::string id = it["id"];
  std::size_t idx = index();
  switch (kind_) {
    case Kind::Reasoning: {
      std::string t = it["content"][0]["text"];
      out.push_back(event("response.reasoning_text.done",
                          Json{{"item_id", id}, {"output_index", idx}, {"content_index", 0}, {"text", t}}));
      break;
    }
    case Kind::Message: {
      Json part = it["content"][0];
      out.push_back(event("response.output_text.done",
                          Json{{"item_id", id}, {"output_index", idx}, {"content_index", 0},
                               {"text", part["text"]}, {"logprobs", Json::array()}}));
      out.push_back(event("response.content_part.done",
                          Json{{"item_id", id}, {"output_index", idx}, {"content_index", 0}, {"part", part}}));
      break;
    }
    case Kind::FunctionCall:
      out.push_back(event("response.function_call_arguments.done",
                          Json{{"item_id", id}, {"output_index", idx}, {"arguments", it["arguments"]}}));
      break;
    case Kind::Python:
      out.push_back(event("response.code_interpreter_call.completed",
                          Json{{"item_id", id}, {"output_index", idx}}));
      break;
    case Kind::Search:
      it.erase("arguments");
      out.push_back(event("response.web_search_call.completed",
                          Json{{"item_id", id}, {"output_index", idx}}));
      break;
    case Kind::None: break;
  }
  if (it["status"] == "in_progress" || it["status"] == "interpreting" || it["status"] == "searching")
    it["status"] = "completed";
  out.push_back(event("response.output_item.done", Json{{"output_index", idx}, {"item", it}}));
  kind_ = Kind::None;
  return out;
}

std::vector<Json> ResponsesEncoder::on_event(const OutputEvent& ev) {
  std::vector<Json> out;
  auto append = [&](std::vector<Json> more) {
    for (auto& j : more) out.push_back(std::move(j));
  };
  const Message& m = ev.message;
  if (ev.kind == OutputEvent::Kind::Started || (!open_ && (ev.kind == OutputEvent::Kind::Delta ||
                                                          ev.kind == OutputEvent::Kind::Done))) {
    append(close_item());
    Json it = Json::object();
    if (is_call(m.recipient) && ev.server_tool && recipient_namespace(*m.recipient) == "python") {
      kind_ = Kind::Python;
      it = Json{{"id", make_id("ci_")}, {"type", "code_interpreter_call"}, {"status", "in_progress"},
                {"code", ""}, {"container_id", "ossa-sandbox"}, {"outputs", nullptr}};
    } else if (is_call(m.recipient) && ev.server_tool) {
      kind_ = Kind::Search;
      it = Json{{"id", make_id("ws_")}, {"type", "web_search_call"}, {"status", "in_progress"},
                {"action", {{"type", "search"}, {"query", ""}}}, {"arguments", ""}};
    } else if (is_call(m.recipient)) {
      kind_ = Kind::FunctionCall;
      it = Json{{"id", make_id("fc_")}, {"type", "function_call"}, {"status", "in_progress"},
                {"call_id", make_id("call_")}, {"name", function_name(*m.recipient)}, {"arguments", ""}};
    } else if (m.channel && *m.channel == "analysis") {
      kind_ = Kind::Reasoning;
      it = Json{{"id", make_id("rs_")}, {"type", "reasoning"}, {"summary", Json::array()},
                {"content", Json::array({Json{{"type", "reasoning_text"}, {"text", ""}}})},
                {"status", "in_progress"}};
    } else {
      kind_ = Kind::Message;
      it = Json{{"id", make_id("msg_")}, {"type", "message"}, {"status", "in_progress"},
                {"role", "assistant"}, {"content", Json::array()}};
    }
    items_.push_back(it);
    open_ = true;
    out.push_back(event("response.output_item.added", Json{{"output_index", index()}, {"item", it}}));
    if (kind_ == Kind::Message) {
      Json part = Json{{"type", "output_text"}, {"text", ""}, {"annotations", Json::array()}};
      item()["content"].push_back(part);
      out.push_back(event("response.content_part.added",
                          Json{{"item_id", item()["id"]}, {"output_index", index()},
                               {"content_index", 0}, {"part", part}}));
    }
    if (ev.kind == OutputEvent::Kind::Started) return out;
  }
  if (!open_) return out;
  Json& it = item();
  const std::string id = it["id"];
  const std::size_t idx = index();
  switch (ev.kind) {
    case OutputEvent::Kind::Started: break;
    case OutputEvent::Kind::Delta:
      if (ev.text.empty()) break;
      switch (kind_) {
        case Kind::Reasoning:
          it["content"][0]["text"] = it["content"][0]["text"].get<std::string>() + ev.text;
          out.push_back(event("response.reasoning_text.delta",
                              Json{{"item_id", id}, {"output_index", idx}, {"content_index", 0},
                                   {"delta", ev.text}}));
          break;
        case Kind::Message:
          it["content"][0]["text"] = it["content"][0]["text"].get<std::string>() + ev.text;
          out.push_back(event("response.output_text.delta",
                              Json{{"item_id", id}, {"output_index", idx}, {"content_index", 0},
                                   {"delta", ev.text}, {"logprobs", Json::array()}}));
          break;
        case Kind::FunctionCall:
          it["arguments"] = it["arguments"].get<std::string>() + ev.text;
          out.push_back(event("response.function_call_arguments.delta",
                              Json{{"item_id", id}, {"output_index", idx}, {"delta", ev.text}}));
          break;
        case Kind::Python:
          it["code"] = it["code"].get<std::string>() + ev.text;
          out.push_back(event("response.code_interpreter_call_code.delta",
                              Json{{"item_id", id}, {"output_index", idx}, {"delta", ev.text}}));
          break;
        case Kind::Search:
          it["arguments"] = it["arguments"].get<std::string>() + ev.text;
          break;
        case Kind::None: break;
      }
      break;
    case OutputEvent::Kind::Done:
      if (kind_ == Kind::Python) {
        out.push_back(event("response.code_interpreter_call_code.done",
                            Json{{"item_id", id}, {"output_index", idx}, {"code", it["code"]}}));
        out.push_back(event("response.code_interpreter_call.interpreting",
                            Json{{"item_id", id}, {"output_index", idx}}));
        it["status"] = "interpreting";
      } else if (kind_ == Kind::Search) {
        Json args = Json::parse(it["arguments"].get<std::string>(), nullptr, false);
        if (args.is_object() && args.contains("query") && args["query"].is_string())
          it["action"]["query"] = args["query"];
        it.erase("arguments");
        out.push_back(event("response.web_search_call.searching",
                            Json{{"item_id", id}, {"output_index", idx}}));
        it["status"] = "searching";
      } else {
        append(close_item());
      }
      break;
    case OutputEvent::Kind::ToolResult:
      if (kind_ == Kind::Python)
        it["outputs"] = Json::array({Json{{"type", "logs"}, {"logs", m.text_content()}}});
      if (ev.is_error && (kind_ == Kind::Python || kind_ == Kind::Search)) it["status"] = "failed";
      append(close_item());
      break;
  }
  return out;
}

std::vector<Json> ResponsesEncoder::finish(const TurnOutput& out) {
  std::vector<Json> evs = close_item();
  const char* type = "response.completed";
  if (out.finish == "length") {
    status_ = "incomplete";
    type = "response.incomplete";
  } else if (out.finish == "error" || out.finish == "cancelled") {
    status_ = "failed";
    type = "response.failed";
  } else {
    status_ = "completed";
  }
  evs.push_back(event(type, Json{{"response", response(&out)}}));
  return evs;
}

}  // namespace ossa::server
