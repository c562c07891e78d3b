#include "tools/registry.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "schemas/json_depth.hpp"
#include "tools/arguments.hpp"
#include "tools/schema_validator.hpp"
#include "tools/text.hpp"

namespace ossa::tools {
namespace {

using json = Json;


// What the model wrote may carry the content type after the recipient
// ("functions.f <|constrain|>json", "python code"): the recipient ends at the first space or '<'.
std::string_view recipient_word(std::string_view s) {
  s = trim_ascii(s);
  auto end = s.find_first_of(" \t\r\n<");
  return end == std::string_view::npos ? s : s.substr(0, end);
}

constexpr std::string_view kFunctions = "functions.";

}  // namespace

bool is_system_namespace(std::string_view ns) { return ns == "python" || ns == "browser"; }

struct Registry::Impl {
  struct Entry {
    std::shared_ptr<Tool> tool;
    std::shared_ptr<const SchemaValidator> validator;  // null: nothing to validate against
  };
  std::map<std::string, Entry, std::less<>> tools;  // by canonical recipient
  std::map<std::string, std::string, std::less<>> descriptions;
  std::map<std::string, std::string, std::less<>> aliases;

  const Entry* find(std::string_view recipient) const {
    auto it = tools.find(recipient);
    return it == tools.end() ? nullptr : &it->second;
  }

  std::string available() const {
    std::string list;
    for (const auto& [r, e] : tools) list += (list.empty() ? "" : ", ") + r;
    return list.empty() ? "none" : list;
  }

  json namespaces(bool system) const {
    json out = json::object();
    for (const auto& [r, e] : tools) {
      const ToolSpec& s = e.tool->spec();
      if (is_system_namespace(s.ns) != system) continue;
      if (!out.contains(s.ns)) {
        auto d = descriptions.find(s.ns);
        out[s.ns] = json{{"name", s.ns},
                         {"description", d == descriptions.end() ? json(nullptr) : json(d->second)},
                         {"tools", json::array()}};
      }
      // A namespace that is itself the tool (python) is described by that tool, unless
      // describe_namespace() said otherwise.
      if (s.name.empty() && out[s.ns]["description"].is_null() && !s.description.empty())
        out[s.ns]["description"] = s.description;
      if (s.name.empty()) continue;  // the namespace itself is the tool (python)
      out[s.ns]["tools"].push_back(json{{"name", s.name},
                                        {"description", s.description},
                                        {"parameters", s.parameters}});
    }
    return out;
  }
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;
Registry::Registry(Registry&&) noexcept = default;
Registry& Registry::operator=(Registry&&) noexcept = default;

void Registry::add(std::shared_ptr<Tool> tool) {
  if (!tool) throw std::invalid_argument("null tool");
  const ToolSpec& s = tool->spec();
  if (s.ns.empty()) throw std::invalid_argument("tool `" + s.name + "` has no namespace");
  std::string recipient = s.recipient();
  if (impl_->tools.count(recipient))
    throw std::invalid_argument("tool `" + recipient + "` is already registered");
  // The schema compiler and the renderer walk the schema recursively: bound it first.
  if (schemas::json_depth(s.parameters) > schemas::kMaxJsonDepth)
    throw std::invalid_argument("tool `" + recipient + "`: parameters: the schema nests deeper than " +
                                std::to_string(schemas::kMaxJsonDepth) + " levels");
  Impl::Entry entry{tool, nullptr};
  if (s.body == BodyKind::json && !s.parameters.is_null()) {
    try {
      entry.validator = std::make_shared<SchemaValidator>(s.parameters);
    } catch (const std::exception& e) {
      throw std::invalid_argument("tool `" + recipient + "`: parameters: " + e.what());
    }
  }
  impl_->tools.emplace(std::move(recipient), std::move(entry));
}

bool Registry::remove(std::string_view recipient) {
  auto it = impl_->tools.find(recipient);
  if (it == impl_->tools.end()) return false;
  impl_->tools.erase(it);
  return true;
}

void Registry::describe_namespace(std::string ns, std::string description) {
  impl_->descriptions[std::move(ns)] = std::move(description);
}

void Registry::add_alias(std::string alias, std::string recipient) {
  impl_->aliases[std::move(alias)] = std::move(recipient);
}

std::shared_ptr<Tool> Registry::find(std::string_view recipient) const {
  const Impl::Entry* e = impl_->find(recipient);
  return e ? e->tool : nullptr;
}

std::vector<std::shared_ptr<Tool>> Registry::tools() const {
  std::vector<std::shared_ptr<Tool>> out;
  for (const auto& [r, e] : impl_->tools) out.push_back(e.tool);
  return out;
}

std::vector<std::string> Registry::retain(const std::vector<std::string>& names) {
  std::vector<std::string> unmatched;
  std::map<std::string, Impl::Entry, std::less<>> kept;
  for (const auto& n : names) {
    bool matched = false;
    for (const auto& [r, e] : impl_->tools) {
      const ToolSpec& s = e.tool->spec();
      if (n == r || n == s.ns || (!s.name.empty() && n == s.name)) {
        kept.emplace(r, e);
        matched = true;
      }
    }
    if (!matched) unmatched.push_back(n);
  }
  impl_->tools = std::move(kept);
  return unmatched;
}

Registry::Resolution Registry::resolve(std::string_view written) const {
  std::string_view s = recipient_word(written);
  auto hit = [&](std::string_view r) -> Resolution {
    const Impl::Entry* e = impl_->find(r);
    return e ? Resolution{e->tool, std::string(r), {}} : Resolution{};
  };
  if (s.empty())
    return {nullptr, {}, "The message has no recipient. Available tools: " + impl_->available() + "."};
  if (auto r = hit(s); r.tool) return r;
  if (auto a = impl_->aliases.find(s); a != impl_->aliases.end())
    if (auto r = hit(a->second); r.tool) return r;
  if (s.substr(0, kFunctions.size()) == kFunctions) {
    std::string_view rest = s.substr(kFunctions.size());
    if (auto r = hit(rest); r.tool) return r;  // functions.python, functions.browser.search
    if (rest.substr(0, 7) == "python.")
      if (auto r = hit("python"); r.tool) return r;
  }
  if (s.substr(0, 7) == "python.")
    if (auto r = hit("python"); r.tool) return r;
  if (s.find('.') == std::string_view::npos) {
    Resolution only;
    int count = 0;
    for (const auto& [r, e] : impl_->tools)
      if (e.tool->spec().name == s) {
        ++count;
        only = Resolution{e.tool, r, {}};
      }
    if (count == 1) return only;
  }
  return {nullptr, {},
          "Unknown tool `" + std::string(s) + "`. Available tools: " + impl_->available() + "."};
}

json Registry::system_tools() const { return impl_->namespaces(true); }
json Registry::developer_tools() const { return impl_->namespaces(false); }

std::string Registry::instructions() const {
  std::string out;
  for (const auto& [r, e] : impl_->tools) {
    std::string text = e.tool->instructions();
    if (text.empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += text;
  }
  return out;
}

Registry::Prepared Registry::prepare(ToolCall call) const {
  Prepared p;
  Resolution r = resolve(call.recipient);
  if (!r.tool) {
    p.error = ToolResult::failure(r.error, json{{"error", "unknown_tool"}});
    p.call = std::move(call);
    return p;
  }
  if (r.recipient != recipient_word(call.recipient)) p.notes["resolved_from"] = call.recipient;
  p.tool = r.tool;
  const ToolSpec& spec = r.tool->spec();
  const Impl::Entry* entry = impl_->find(r.recipient);
  if (spec.body == BodyKind::json) {
    ParsedArguments parsed = parse_arguments(call.body);
    if (!parsed.ok) {
      p.error = ToolResult::failure("Invalid arguments for `" + r.recipient + "`: " + parsed.error +
                                        ". Send a JSON object matching the tool's parameters.",
                                    json{{"error", "invalid_json"}});
    } else {
      if (!parsed.repair.empty()) p.notes["repair"] = parsed.repair;
      if (entry && entry->validator) {
        std::vector<std::string> errors = entry->validator->validate(parsed.value);
        if (!errors.empty()) {
          std::string text = "Invalid arguments for `" + r.recipient + "`: ";
          for (std::size_t i = 0; i < errors.size(); ++i) text += (i ? "; " : "") + errors[i];
          text += ".";
          p.error = ToolResult::failure(text, json{{"error", "invalid_arguments"},
                                                   {"problems", errors}});
        }
        apply_defaults(spec.parameters, parsed.value);
      }
      call.arguments = std::move(parsed.value);
    }
  } else {
    call.arguments = nullptr;
  }
  p.call = std::move(call);
  if (p.error) p.error->metadata["tool"] = r.recipient;
  return p;
}

boost::asio::awaitable<ToolResult> Registry::run(Prepared prepared, ToolContext& ctx) {
  if (prepared.error) co_return *prepared.error;
  if (!prepared.tool) co_return ToolResult::failure("No tool to run.");
  std::string recipient = prepared.tool->spec().recipient();
  std::string failure;
  ToolResult result;
  try {
    result = co_await prepared.tool->invoke(prepared.call, ctx);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown error";
  }
  if (!failure.empty())
    result = ToolResult::failure("The tool `" + recipient + "` failed: " + failure,
                                 json{{"error", "exception"}});
  if (!result.metadata.is_object()) result.metadata = json{{"value", result.metadata}};
  result.metadata["tool"] = recipient;
  for (auto it = prepared.notes.begin(); it != prepared.notes.end(); ++it)
    result.metadata[it.key()] = it.value();
  co_return result;
}

boost::asio::awaitable<ToolResult> Registry::dispatch(ToolCall call, ToolContext& ctx) const {
  Prepared p;
  std::string failure;
  try {
    p = prepare(std::move(call));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) co_return ToolResult::failure("The call could not be prepared: " + failure);
  co_return co_await run(std::move(p), ctx);
}

}  // namespace ossa::tools
