#include "runtime/server/sessions.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace ossa::server {

namespace {

std::int64_t created_at(const Json& record) {
  const Json& v = field(field(record, "response"), "created_at");
  return v.is_number_integer() ? v.get<std::int64_t>() : 0;
}

std::string previous_of(const Json& record) { return string_field(field(record, "response"), "previous_response_id"); }

std::map<std::string, const Json*> by_id(const std::vector<Json>& records) {
  std::map<std::string, const Json*> m;
  for (const Json& r : records)
    if (field(r, "id").is_string()) m[r["id"].get<std::string>()] = &r;
  return m;
}

// Heads: stored responses no other stored response names as its previous one.
std::vector<std::string> heads(const std::map<std::string, const Json*>& all) {
  std::set<std::string> continued;
  for (const auto& [id, r] : all) continued.insert(previous_of(*r));
  std::vector<std::string> out;
  for (const auto& [id, r] : all)
    if (!continued.count(id)) out.push_back(id);
  return out;
}

std::vector<std::string> chain(const std::map<std::string, const Json*>& all, const std::string& head) {
  std::vector<std::string> out;
  std::set<std::string> seen;  // a hand-edited store could hold a cycle
  for (std::string id = head; !id.empty() && !seen.count(id);) {
    auto it = all.find(id);
    if (it == all.end()) break;
    seen.insert(id);
    out.push_back(id);
    id = previous_of(*it->second);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string text_of(const Json& message) {
  std::string out;
  const Json& content = field(message, "content");
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return out;
  for (const Json& part : content) {
    if (part.is_string()) out += part.get<std::string>();
    else if (field(part, "text").is_string()) out += part["text"].get<std::string>();
  }
  return out;
}

std::string title_of(const Json& record) {
  const Json& conv = field(record, "conversation");
  if (conv.is_array())
    for (const Json& m : conv)
      if (string_field(m, "role") == "user") return cut_text(text_of(m), 80);
  return "(untitled)";
}

}  // namespace

std::string cut_text(const std::string& text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    // A code point starts at every byte that is not a continuation byte (10xxxxxx).
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) return text.substr(0, i) + "\xE2\x80\xA6";
      ++chars;
    }
  }
  return text;
}

Json list_sessions(const std::vector<Json>& records) {
  auto all = by_id(records);
  Json data = Json::array();
  for (const std::string& head : heads(all)) {
    auto ids = chain(all, head);
    const Json& first = *all.at(ids.front());
    const Json& last = *all.at(head);
    Json s = Json::object();
    s["id"] = head;
    s["title"] = title_of(last);
    s["created_at"] = created_at(first);
    s["updated_at"] = created_at(last);
    s["turns"] = ids.size();
    data.push_back(std::move(s));
  }
  std::stable_sort(data.begin(), data.end(), [](const Json& a, const Json& b) {
    if (a["updated_at"] != b["updated_at"]) return a["updated_at"] > b["updated_at"];
    return a["id"] > b["id"];
  });
  return Json{{"object", "list"}, {"data", std::move(data)}};
}

std::vector<std::string> session_chain(const std::vector<Json>& records, const std::string& head) {
  return chain(by_id(records), head);
}

std::vector<std::string> session_deletable(const std::vector<Json>& records, const std::string& head) {
  auto all = by_id(records);
  std::set<std::string> kept;
  for (const std::string& other : heads(all))
    if (other != head)
      for (const std::string& id : chain(all, other)) kept.insert(id);
  std::vector<std::string> out;
  for (const std::string& id : chain(all, head))
    if (!kept.count(id)) out.push_back(id);
  return out;
}

Json conversation_items(const Json& messages) {
  Json items = Json::array();
  if (!messages.is_array()) return items;
  for (const Json& m : messages) {
    const std::string role = string_field(m, "role");
    const std::string text = text_of(m);
    if (role == "user") {
      items.push_back(Json{{"type", "user"}, {"text", text}});
    } else if (role == "assistant") {
      const std::string recipient = string_field(m, "recipient");
      if (!recipient.empty() && recipient != "all") {
        items.push_back(Json{{"type", "tool_call"}, {"tool", recipient}, {"arguments", text},
                             {"output", nullptr}});
      } else if (string_field(m, "channel") == "analysis") {
        items.push_back(Json{{"type", "reasoning"}, {"text", text}});
      } else {
        items.push_back(Json{{"type", "message"}, {"text", text}});
      }
    } else if (role == "tool") {
      // A result answers the latest call still waiting for one.
      bool attached = false;
      for (auto it = items.rbegin(); it != items.rend() && !attached; ++it)
        if ((*it)["type"] == "tool_call" && (*it)["output"].is_null()) {
          (*it)["output"] = text;
          attached = true;
        }
      if (!attached) items.push_back(Json{{"type", "tool_call"}, {"tool", string_field(m, "name")},
                                          {"arguments", ""}, {"output", text}});
    }
  }
  return items;
}

std::optional<Json> session_view(const std::vector<Json>& records, const std::string& head) {
  auto all = by_id(records);
  auto ids = chain(all, head);
  if (ids.empty()) return std::nullopt;
  Json turns = Json::array();
  std::size_t before = 0;  // messages of the conversation the previous turn ended with
  for (const std::string& id : ids) {
    const Json& rec = *all.at(id);
    const Json& conv = field(rec, "conversation");
    Json mine = Json::array();
    if (conv.is_array()) {
      // Each record holds the whole conversation so far; this turn added what follows the
      // previous record's (all of it when that one is gone or does not match).
      std::size_t from = before <= conv.size() ? before : 0;
      for (std::size_t i = from; i < conv.size(); ++i) mine.push_back(conv[i]);
      before = conv.size();
    }
    const Json& resp = field(rec, "response");
    Json t = Json::object();
    t["response_id"] = id;
    t["created_at"] = created_at(rec);
    t["status"] = field(resp, "status");
    t["usage"] = field(resp, "usage");
    t["items"] = conversation_items(mine);
    turns.push_back(std::move(t));
  }
  const Json& last = field(*all.at(head), "response");
  Json settings = Json::object();
  settings["instructions"] = field(last, "instructions");
  settings["reasoning_effort"] = field(field(last, "reasoning"), "effort");
  Json tools = Json::array();
  if (field(last, "tools").is_array())
    for (const Json& t : last["tools"])
      if (field(t, "type").is_string()) tools.push_back(t["type"]);
  settings["tools"] = std::move(tools);
  Json view = Json::object();
  view["id"] = head;
  view["title"] = title_of(*all.at(head));
  view["settings"] = std::move(settings);
  view["turns"] = std::move(turns);
  return view;
}

Json server_info(const MappingContext& ctx) {
  Json tools = Json::array();
  if (ctx.builtins.count("python")) tools.push_back("code_interpreter");
  if (ctx.builtins.count("browser")) tools.push_back("web_search");
  return Json{{"object", "ossa.info"}, {"model", ctx.model_id}, {"tools", std::move(tools)},
              {"reasoning_effort", ctx.reasoning}};
}

}  // namespace ossa::server
