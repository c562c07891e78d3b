#include "runtime/server/transcript_sessions.hpp"

#include <algorithm>
#include <system_error>

#include "runtime/server/sessions.hpp"
#include "runtime/transcript.hpp"

namespace ossa::server {

namespace fs = std::filesystem;

namespace {

std::int64_t seconds_of(const Json& event) {
  auto it = event.find("time");
  return it != event.end() && it->is_number_integer() ? it->get<std::int64_t>() / 1000 : 0;
}

// The transcript's events, or nullopt when the file is missing or is not a transcript.
std::optional<std::vector<runtime::Event>> events_of(const fs::path& file) {
  try {
    runtime::TranscriptContents c = runtime::read_transcript(file.string());
    runtime::check_transcript(c, file.string());
    return std::move(c.events);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string first_user_text(const Json& messages) {
  for (const Json& item : conversation_items(messages))
    if (item["type"] == "user") return cut_text(item["text"].get<std::string>(), 80);
  return "(untitled)";
}

}  // namespace

bool valid_session_id(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
}

// What the model was asked and told about its tools: the latest start or resume record's.
Json transcript_settings(const std::vector<runtime::Event>& events) {
  Json s = {{"reasoning_effort", "medium"}, {"instructions", ""}, {"approve", "ask"}};
  for (const auto& e : events) {
    const std::string type = string_field(e, "type");
    if (type != "session_start" && type != "session_resume") continue;
    auto c = e.find("config");
    if (c == e.end() || !c->is_object()) continue;
    if (auto v = string_field(*c, "reasoning"); !v.empty()) s["reasoning_effort"] = v;
    s["instructions"] = string_field(*c, "instructions");
    if (auto t = c->find("tools"); t != c->end())
      if (auto v = string_field(*t, "approve"); !v.empty()) s["approve"] = v;
  }
  return s;
}

Json list_transcript_sessions(const fs::path& dir) {
  Json data = Json::array();
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& file = it->path();
    const std::string id = file.stem().string();
    if (file.extension() != ".jsonl" || !valid_session_id(id) || !it->is_regular_file(ec)) continue;
    auto events = events_of(file);
    if (!events) continue;
    Json messages = Json::array();
    int turns = 0;
    for (const auto& e : *events)
      if (string_field(e, "type") == "message" && e.contains("message")) {
        messages.push_back(e["message"]);
        if (string_field(e["message"], "role") == "user") ++turns;
      }
    Json s = Json::object();
    s["id"] = id;
    s["title"] = first_user_text(messages);
    s["created_at"] = seconds_of(events->front());
    s["updated_at"] = seconds_of(events->back());
    s["turns"] = turns;
    s["model"] = string_field(events->front(), "model");
    data.push_back(std::move(s));
  }
  std::stable_sort(data.begin(), data.end(), [](const Json& a, const Json& b) {
    if (a["updated_at"] != b["updated_at"]) return a["updated_at"] > b["updated_at"];
    return a["id"] > b["id"];
  });
  return Json{{"object", "list"}, {"data", std::move(data)}};
}

std::optional<Json> transcript_session_view(const fs::path& dir, const std::string& id) {
  if (!valid_session_id(id)) return std::nullopt;
  const fs::path file = dir / (id + ".jsonl");
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  auto events = events_of(file);
  if (!events) throw ApiError(422, "the file of session " + id + " is not a transcript");

  // A turn is the messages from one user message to the next, with its calls' outcomes.
  struct Turn {
    Json messages = Json::array();
    std::vector<std::pair<std::string, double>> outcomes;  // status, duration
    int tokens = 0;
    std::string end;
  };
  std::vector<Turn> turns;
  Json all = Json::array();
  for (const auto& e : *events) {
    const std::string type = string_field(e, "type");
    if (type == "message" && e.contains("message")) {
      const Json& m = e["message"];
      all.push_back(m);
      const std::string role = string_field(m, "role");
      if (role == "system" || role == "developer") continue;  // the opening is no turn's
      if (role == "user" || turns.empty()) turns.emplace_back();
      turns.back().messages.push_back(m);
    } else if (type == "tool_result" && !turns.empty()) {
      const Json meta = e.value("metadata", Json::object());
      std::string status = meta.is_object() && meta.value("denied", false) ? "denied"
                           : e.value("is_error", false)                    ? "failed"
                                                                           : "completed";
      turns.back().outcomes.emplace_back(status, e.value("duration_ms", 0.0));
    } else if (type == "turn_end" && !turns.empty()) {
      turns.back().tokens += e.value("generated_tokens", 0);
      turns.back().end = string_field(e, "reason");
    }
  }
  Json out_turns = Json::array();
  for (auto& t : turns) {
    Json items = conversation_items(t.messages);
    std::size_t k = 0;
    for (Json& item : items) {
      if (item["type"] != "tool_call") continue;
      if (item["output"].is_null()) {
        item["status"] = "requested";
      } else if (k < t.outcomes.size()) {
        item["status"] = t.outcomes[k].first;
        item["duration_ms"] = t.outcomes[k].second;
        ++k;
      } else {
        item["status"] = "completed";
      }
    }
    out_turns.push_back(Json{{"items", std::move(items)}, {"tokens", t.tokens}, {"end", t.end}});
  }
  Json view = Json::object();
  view["id"] = id;
  view["title"] = first_user_text(all);
  view["model"] = string_field(events->front(), "model");
  view["settings"] = transcript_settings(*events);
  view["turns"] = std::move(out_turns);
  return view;
}

}  // namespace ossa::server
