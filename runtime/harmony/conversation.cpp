#include "runtime/harmony/conversation.hpp"

#include "schemas/json_depth.hpp"

namespace ossa::harmony {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::User: return "user";
    case Role::Assistant: return "assistant";
    case Role::System: return "system";
    case Role::Developer: return "developer";
    case Role::Tool: return "tool";
  }
  return "user";
}

std::optional<Role> parse_role(std::string_view name) {
  if (name == "user") return Role::User;
  if (name == "assistant") return Role::Assistant;
  if (name == "system") return Role::System;
  if (name == "developer") return Role::Developer;
  if (name == "tool") return Role::Tool;
  return std::nullopt;
}

std::string_view to_string(ReasoningEffort effort) {
  switch (effort) {
    case ReasoningEffort::Low: return "low";
    case ReasoningEffort::Medium: return "medium";
    case ReasoningEffort::High: return "high";
  }
  return "medium";
}

SystemContent SystemContent::defaults() {
  SystemContent s;
  s.model_identity = "You are ChatGPT, a large language model trained by OpenAI.";
  s.reasoning_effort = ReasoningEffort::Medium;
  s.knowledge_cutoff = "2024-06";
  s.channel_config = ChannelConfig{{"analysis", "commentary", "final"}, true};
  return s;
}

Message Message::text(Role role, std::string text) {
  Message m;
  m.role = role;
  m.content.emplace_back(TextContent{std::move(text)});
  return m;
}

Message Message::system(SystemContent content) {
  Message m;
  m.role = Role::System;
  m.content.emplace_back(std::move(content));
  return m;
}

Message Message::developer(DeveloperContent content) {
  Message m;
  m.role = Role::Developer;
  m.content.emplace_back(std::move(content));
  return m;
}

Message Message::tool_result(std::string tool_name, std::string text, std::string channel) {
  Message m = Message::text(Role::Tool, std::move(text));
  m.name = std::move(tool_name);
  m.recipient = "assistant";
  m.channel = std::move(channel);
  return m;
}

std::string Message::text_content() const {
  std::string out;
  for (const auto& c : content)
    if (const auto* t = std::get_if<TextContent>(&c)) out += t->text;
  return out;
}

namespace {

// Reads an optional string field: absent or null = nullopt; anything but a string is an error.
bool opt_string(const Json& obj, const char* key, std::optional<std::string>& out,
                std::string& err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    err = std::string("\"") + key + "\" must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

Result<ToolNamespaces> namespaces_from_json(const Json& json) {
  ToolNamespaces out;
  if (json.is_null()) return out;
  if (!json.is_object()) return Error{"\"tools\" must be an object of namespaces"};
  for (auto it = json.begin(); it != json.end(); ++it) {
    auto ns = tool_namespace_from_json(it.value());
    if (!ns) return Error{"tools \"" + it.key() + "\": " + ns.error()};
    out.emplace(it.key(), std::move(*ns));
  }
  return out;
}

Result<Content> content_item_from_json(const Json& item) {
  if (item.is_string()) return Content{TextContent{item.get<std::string>()}};
  if (!item.is_object()) return Error{"content item must be an object or a string"};
  auto type_it = item.find("type");
  if (type_it == item.end() || !type_it->is_string())
    return Error{"content item needs a \"type\""};
  const std::string& type = type_it->get_ref<const std::string&>();
  std::string err;
  if (type == "text") {
    auto t = item.find("text");
    if (t == item.end() || !t->is_string()) return Error{"text item needs a string \"text\""};
    return Content{TextContent{t->get<std::string>()}};
  }
  if (type == "system_content") {
    SystemContent s;
    if (!opt_string(item, "model_identity", s.model_identity, err) ||
        !opt_string(item, "conversation_start_date", s.conversation_start_date, err) ||
        !opt_string(item, "knowledge_cutoff", s.knowledge_cutoff, err))
      return Error{"system_content: " + err};
    std::optional<std::string> effort;
    if (!opt_string(item, "reasoning_effort", effort, err)) return Error{"system_content: " + err};
    if (effort) {
      std::string e = *effort;
      for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (e == "low") s.reasoning_effort = ReasoningEffort::Low;
      else if (e == "medium") s.reasoning_effort = ReasoningEffort::Medium;
      else if (e == "high") s.reasoning_effort = ReasoningEffort::High;
      else return Error{"system_content: unknown reasoning_effort " + *effort};
    }
    if (auto t = item.find("tools"); t != item.end()) {
      auto ns = namespaces_from_json(*t);
      if (!ns) return Error{"system_content: " + ns.error()};
      s.tools = std::move(*ns);
    }
    if (auto cc = item.find("channel_config"); cc != item.end() && !cc->is_null()) {
      if (!cc->is_object()) return Error{"system_content: channel_config must be an object"};
      ChannelConfig config;
      if (auto v = cc->find("valid_channels"); v != cc->end() && !v->is_null()) {
        if (!v->is_array()) return Error{"channel_config.valid_channels must be an array"};
        for (const auto& c : *v) {
          if (!c.is_string()) return Error{"channel_config.valid_channels must hold strings"};
          config.valid_channels.push_back(c.get<std::string>());
        }
      }
      if (auto r = cc->find("channel_required"); r != cc->end() && !r->is_null()) {
        if (!r->is_boolean()) return Error{"channel_config.channel_required must be a boolean"};
        config.channel_required = r->get<bool>();
      }
      s.channel_config = std::move(config);
    }
    return Content{std::move(s)};
  }
  if (type == "developer_content") {
    DeveloperContent d;
    if (!opt_string(item, "instructions", d.instructions, err))
      return Error{"developer_content: " + err};
    if (auto t = item.find("tools"); t != item.end()) {
      auto ns = namespaces_from_json(*t);
      if (!ns) return Error{"developer_content: " + ns.error()};
      d.tools = std::move(*ns);
    }
    return Content{std::move(d)};
  }
  return Error{"unknown content type \"" + type + "\""};
}

Json namespaces_to_json(const ToolNamespaces& tools) {
  if (tools.empty()) return nullptr;
  Json out = Json::object();
  for (const auto& [key, ns] : tools) {
    Json list = Json::array();
    for (const auto& t : ns.tools)
      list.push_back({{"name", t.name},
                      {"description", t.description ? Json(*t.description) : Json(nullptr)},
                      {"parameters", t.parameters ? *t.parameters : Json(nullptr)}});
    out[key] = {{"name", ns.name},
                {"description", ns.description ? Json(*ns.description) : Json(nullptr)},
                {"tools", list}};
  }
  return out;
}

template <class T>
Json opt(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

}  // namespace

// A message's own levels (content, tools, namespaces) above a tool's parameters schema.
constexpr std::size_t kMaxMessageDepth = schemas::kMaxJsonDepth + 8;

Result<ToolDescription> tool_description_from_json(const Json& json) {
  if (!json.is_object()) return Error{"a tool must be an object"};
  ToolDescription t;
  auto name = json.find("name");
  if (name == json.end() || !name->is_string() || name->get_ref<const std::string&>().empty())
    return Error{"a tool needs a non-empty string \"name\""};
  t.name = name->get<std::string>();
  std::string err;
  if (!opt_string(json, "description", t.description, err)) return Error{t.name + ": " + err};
  if (auto p = json.find("parameters"); p != json.end() && !p->is_null()) {
    if (schemas::json_depth(*p) > schemas::kMaxJsonDepth)
      return Error{t.name + ": the parameters schema nests deeper than " +
                   std::to_string(schemas::kMaxJsonDepth) + " levels"};
    t.parameters = *p;
  }
  return t;
}

Result<ToolNamespace> tool_namespace_from_json(const Json& json) {
  if (!json.is_object()) return Error{"a tool namespace must be an object"};
  ToolNamespace ns;
  auto name = json.find("name");
  if (name == json.end() || !name->is_string()) return Error{"namespace needs a string \"name\""};
  ns.name = name->get<std::string>();
  std::string err;
  if (!opt_string(json, "description", ns.description, err)) return Error{ns.name + ": " + err};
  auto tools = json.find("tools");
  if (tools == json.end() || tools->is_null()) return ns;
  if (!tools->is_array()) return Error{ns.name + ": \"tools\" must be an array"};
  for (const auto& tj : *tools) {
    auto t = tool_description_from_json(tj);
    if (!t) return Error{ns.name + ": " + t.error()};
    ns.tools.push_back(std::move(*t));
  }
  return ns;
}

Result<Message> message_from_json(const Json& json) {
  if (!json.is_object()) return Error{"a message must be an object"};
  // Checked before anything copies or walks it recursively.
  if (schemas::json_depth(json, kMaxMessageDepth) > kMaxMessageDepth)
    return Error{"the message nests deeper than " + std::to_string(kMaxMessageDepth) + " levels"};
  Message m;
  auto role = json.find("role");
  if (role == json.end() || !role->is_string()) return Error{"a message needs a string \"role\""};
  auto r = parse_role(role->get_ref<const std::string&>());
  if (!r) return Error{"unknown role \"" + role->get<std::string>() + "\""};
  m.role = *r;
  std::string err;
  if (!opt_string(json, "name", m.name, err) || !opt_string(json, "recipient", m.recipient, err) ||
      !opt_string(json, "channel", m.channel, err) ||
      !opt_string(json, "content_type", m.content_type, err))
    return Error{"message: " + err};
  auto content = json.find("content");
  if (content == json.end() || content->is_null()) return m;
  if (content->is_string()) {
    m.content.emplace_back(TextContent{content->get<std::string>()});
    return m;
  }
  if (!content->is_array()) return Error{"\"content\" must be a string or an array"};
  for (const auto& item : *content) {
    auto c = content_item_from_json(item);
    if (!c) return Error{c.error()};
    m.content.push_back(std::move(*c));
  }
  return m;
}

Result<Conversation> conversation_from_json(const Json& json) {
  if (schemas::json_depth(json, kMaxMessageDepth + 2) > kMaxMessageDepth + 2)
    return Error{"the conversation nests deeper than " + std::to_string(kMaxMessageDepth + 2) +
                 " levels"};
  const Json* list = &json;
  if (json.is_object()) {
    auto it = json.find("messages");
    if (it == json.end()) return Error{"a conversation needs \"messages\""};
    list = &*it;
  }
  if (!list->is_array()) return Error{"\"messages\" must be an array"};
  Conversation conv;
  for (size_t i = 0; i < list->size(); ++i) {
    auto m = message_from_json((*list)[i]);
    if (!m) return Error{"message " + std::to_string(i) + ": " + m.error()};
    conv.messages.push_back(std::move(*m));
  }
  return conv;
}

Json to_json(const Message& m) {
  Json out = Json::object();
  out["role"] = std::string(to_string(m.role));
  if (m.name) out["name"] = *m.name;
  if (m.recipient) out["recipient"] = *m.recipient;
  if (m.channel) out["channel"] = *m.channel;
  if (m.content_type) out["content_type"] = *m.content_type;
  Json content = Json::array();
  for (const auto& c : m.content) {
    if (const auto* t = std::get_if<TextContent>(&c)) {
      content.push_back({{"type", "text"}, {"text", t->text}});
    } else if (const auto* s = std::get_if<SystemContent>(&c)) {
      Json effort = nullptr;
      if (s->reasoning_effort) {
        std::string e(to_string(*s->reasoning_effort));
        e[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(e[0])));
        effort = e;
      }
      Json cc = nullptr;
      if (s->channel_config)
        cc = {{"valid_channels", s->channel_config->valid_channels},
              {"channel_required", s->channel_config->channel_required}};
      content.push_back({{"type", "system_content"},
                         {"model_identity", opt(s->model_identity)},
                         {"reasoning_effort", effort},
                         {"tools", namespaces_to_json(s->tools)},
                         {"conversation_start_date", opt(s->conversation_start_date)},
                         {"knowledge_cutoff", opt(s->knowledge_cutoff)},
                         {"channel_config", cc}});
    } else if (const auto* d = std::get_if<DeveloperContent>(&c)) {
      content.push_back({{"type", "developer_content"},
                         {"instructions", opt(d->instructions)},
                         {"tools", namespaces_to_json(d->tools)}});
    }
  }
  out["content"] = std::move(content);
  return out;
}

Json to_json(const Conversation& conv) {
  Json list = Json::array();
  for (const auto& m : conv.messages) list.push_back(to_json(m));
  return {{"messages", std::move(list)}};
}

}  // namespace ossa::harmony
