#include "runtime/harmony/renderer.hpp"

#include "runtime/harmony/join.hpp"
#include "runtime/harmony/typescript.hpp"
#include "schemas/json_depth.hpp"

namespace ossa::harmony {
namespace {

// Rust's str::lines(): split on '\n', drop one trailing '\r' per line, no final empty line.
std::vector<std::string_view> lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    std::string_view line = s.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}


constexpr std::string_view kConstrainText = "<|constrain|>";

}  // namespace

std::string render_tools_section(const ToolNamespaces& namespaces) {
  if (namespaces.empty()) return {};
  std::vector<std::string> sections{"# Tools"};
  for (const auto& [key, ns] : namespaces) {
    std::vector<std::string> block{"## " + ns.name + "\n"};
    if (ns.description)
      for (auto line : lines(*ns.description))
        block.push_back(ns.tools.empty() ? std::string(line) : "// " + std::string(line));
    if (!ns.tools.empty()) {
      block.push_back("namespace " + ns.name + " {\n");
      for (const auto& tool : ns.tools) {
        if (tool.description)
          for (auto line : lines(*tool.description)) block.push_back("// " + std::string(line));
        if (tool.parameters) {
          // Deep schemas were refused by render_message before anything was emitted.
          auto ts = schema_to_typescript(*tool.parameters);
          block.push_back("type " + tool.name + " = (_: " + (ts ? *ts : std::string("any")) +
                          ") => any;\n");
        }
        else
          block.push_back("type " + tool.name + " = () => any;\n");
      }
      block.push_back("} // namespace " + ns.name);
    }
    sections.push_back(join(block, "\n"));
  }
  return join(sections, "\n\n");
}

std::string render_system_body(const SystemContent& s, bool has_function_tools) {
  std::vector<std::string> sections;
  std::vector<std::string> top;
  if (s.model_identity) top.push_back(*s.model_identity);
  if (s.knowledge_cutoff) top.push_back("Knowledge cutoff: " + *s.knowledge_cutoff);
  if (s.conversation_start_date) top.push_back("Current date: " + *s.conversation_start_date);
  if (!top.empty()) sections.push_back(join(top, "\n"));
  if (s.reasoning_effort)
    sections.push_back("Reasoning: " + std::string(to_string(*s.reasoning_effort)));
  if (!s.tools.empty()) sections.push_back(render_tools_section(s.tools));
  if (s.channel_config && !s.channel_config->valid_channels.empty()) {
    std::string c = "# Valid channels: " + join(s.channel_config->valid_channels, ", ") + ".";
    if (s.channel_config->channel_required) c += " Channel must be included for every message.";
    if (has_function_tools)
      c += "\nCalls to these tools must go to the commentary channel: 'functions'.";
    sections.push_back(std::move(c));
  }
  return join(sections, "\n\n");
}

std::string render_developer_body(const DeveloperContent& d) {
  std::vector<std::string> sections;
  if (d.instructions) {
    sections.emplace_back("# Instructions");
    sections.push_back(*d.instructions);
  }
  if (!d.tools.empty()) sections.push_back(render_tools_section(d.tools));
  return join(sections, "\n\n");
}

// A tool whose parameters cannot be rendered (nested too deeply), named.
std::optional<std::string> unrenderable_tool(const ToolNamespaces& namespaces) {
  for (const auto& [key, ns] : namespaces)
    for (const auto& tool : ns.tools)
      if (tool.parameters && schemas::json_depth(*tool.parameters) > schemas::kMaxJsonDepth)
        return ns.name + "." + tool.name + ": the parameters schema nests deeper than " +
               std::to_string(schemas::kMaxJsonDepth) + " levels";
  return std::nullopt;
}

bool has_function_tools(const Conversation& conv) {
  for (const auto& m : conv.messages)
    for (const auto& c : m.content)
      if (const auto* d = std::get_if<DeveloperContent>(&c)) {
        auto it = d->tools.find("functions");
        if (it != d->tools.end() && !it->second.tools.empty()) return true;
      }
  return false;
}

Result<bool> Renderer::render_message(const Message& m, bool function_tools,
                                      std::vector<TokenId>& out) const {
  // Validate before emitting anything so that a failed message leaves `out` untouched.
  if (m.role == Role::Tool && !m.name) return Error{"Tools should have a name!"};
  for (const auto& c : m.content) {
    if (std::holds_alternative<SystemContent>(c) && m.role != Role::System)
      return Error{"SystemContent may only appear in system messages, found in " +
                   std::string(to_string(m.role))};
    if (std::holds_alternative<DeveloperContent>(c) && m.role != Role::Developer)
      return Error{"DeveloperContent may only appear in developer messages, found in " +
                   std::string(to_string(m.role))};
    const ToolNamespaces* tools = nullptr;
    if (const auto* sc = std::get_if<SystemContent>(&c)) tools = &sc->tools;
    if (const auto* dc = std::get_if<DeveloperContent>(&c)) tools = &dc->tools;
    if (tools)
      if (auto bad = unrenderable_tool(*tools)) return Error{"tool " + *bad};
  }
  const Tokenizer& tok = *tok_;
  out.push_back(tokens::kStart);
  if (m.role == Role::Tool) {
    tok.encode_ordinary(*m.name, out);
  } else {
    tok.encode_ordinary(to_string(m.role), out);
    if (m.name) tok.encode_ordinary(":" + *m.name, out);
  }
  if (m.recipient && *m.recipient != "all") tok.encode_ordinary(" to=" + *m.recipient, out);
  if (m.channel) {
    out.push_back(tokens::kChannel);
    tok.encode_ordinary(*m.channel, out);
  }
  if (m.content_type) {
    std::string_view ct = *m.content_type;
    if (ct.substr(0, kConstrainText.size()) == kConstrainText) {
      tok.encode_ordinary(" ", out);
      out.push_back(tokens::kConstrain);
      if (ct.size() > kConstrainText.size()) tok.encode_ordinary(ct.substr(kConstrainText.size()), out);
    } else {
      tok.encode_ordinary(" " + *m.content_type, out);
    }
  }
  out.push_back(tokens::kMessage);
  for (const auto& c : m.content) {
    if (const auto* t = std::get_if<TextContent>(&c)) tok.encode_ordinary(t->text, out);
    else if (const auto* s = std::get_if<SystemContent>(&c)) tok.encode_ordinary(render_system_body(*s, function_tools), out);
    else if (const auto* d = std::get_if<DeveloperContent>(&c)) tok.encode_ordinary(render_developer_body(*d), out);
  }
  // Any recipient on an assistant message means a tool call, even "all" (reference behaviour).
  out.push_back(m.role == Role::Assistant && m.recipient ? tokens::kCall : tokens::kEnd);
  return true;
}

Result<std::vector<TokenId>> Renderer::render_conversation(const Conversation& conv,
                                                           const RenderConfig& config) const {
  const auto& msgs = conv.messages;
  bool last_assistant_final = false;
  for (auto it = msgs.rbegin(); it != msgs.rend(); ++it)
    if (it->role == Role::Assistant) {
      last_assistant_final = it->channel == "final";
      break;
    }
  const bool drop = config.auto_drop_analysis && last_assistant_final;
  size_t first_final = msgs.size();
  for (size_t i = 0; i < msgs.size(); ++i)
    if (msgs[i].channel == "final") {
      first_final = i;
      break;
    }
  const bool functions = has_function_tools(conv);
  std::vector<TokenId> out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (drop && i < first_final && msgs[i].channel == "analysis") continue;
    auto r = render_message(msgs[i], functions, out);
    if (!r) return Error{r.error()};
  }
  return out;
}

Result<std::vector<TokenId>> Renderer::render_for_completion(const Conversation& conv,
                                                             Role next_role,
                                                             const RenderConfig& config) const {
  auto r = render_conversation(conv, config);
  if (!r) return r;
  r->push_back(tokens::kStart);
  tok_->encode_ordinary(to_string(next_role), *r);
  return r;
}

Result<std::vector<TokenId>> Renderer::render_for_training(const Conversation& conv,
                                                           const RenderConfig& config) const {
  auto r = render_conversation(conv, config);
  if (!r) return r;
  if (!conv.messages.empty()) {
    const Message& last = conv.messages.back();
    if (last.role == Role::Assistant && last.channel == "final" && !r->empty())
      r->back() = tokens::kReturn;
  }
  return r;
}

}  // namespace ossa::harmony
