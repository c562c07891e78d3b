#include "runtime/sessions.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace ossa::runtime {
namespace fs = std::filesystem;

std::string message_text(const Event& message) {
  std::string text;
  auto content = message.find("content");
  if (content == message.end()) return text;
  if (content->is_string()) return content->get<std::string>();
  if (!content->is_array()) return text;
  for (const auto& part : *content)
    if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
        part["text"].is_string())
      text += part["text"].get<std::string>();
  return text;
}

namespace {
// One line of at most `n` bytes, cut on a UTF-8 boundary.
std::string one_line(std::string s, std::size_t n) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() <= n) return s;
  std::size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

long long time_of(const Event& e) {
  auto t = e.find("time");
  return t != e.end() && t->is_number_integer() ? t->get<long long>() : 0;
}
}  // namespace

SessionSummary summarise_session(const std::string& path, bool with_messages) {
  SessionSummary s;
  s.path = path;
  s.id = fs::path(path).stem().string();
  try {
    TranscriptContents c = read_transcript(path);
    check_transcript(c, path);
    s.id = transcript_session_id(c);
    const Event& start = c.events.front();
    s.started_ms = time_of(start);
    if (auto m = start.find("model"); m != start.end() && m->is_string()) s.model = m->get<std::string>();
    bool open_turn = false, asked = false;
    for (const Event& e : c.events) {
      s.updated_ms = std::max(s.updated_ms, time_of(e));
      const std::string type = e.value("type", "");
      if (type == "message" && e.contains("message") && e["message"].is_object()) {
        const Event& m = e["message"];
        if (m.value("role", "") == "user") {
          if (!asked) s.first_task = one_line(message_text(m), 80);
          asked = true;
          open_turn = true;
        }
        if (with_messages) s.messages.push_back(m);
      } else if (type == "turn_end") {
        ++s.turns;
        open_turn = false;
        s.stop_reason = e.value("reason", "");
      }
    }
    if (!asked) s.state = "empty";
    else if (open_turn) s.state = "interrupted";
    else s.state = s.stop_reason == "final" ? "answered" : "stopped";
  } catch (const std::exception& e) {
    s.state = "unreadable";
    s.error = e.what();
  }
  return s;
}

std::vector<SessionSummary> list_sessions(const std::string& dir) {
  std::vector<SessionSummary> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".jsonl") continue;
    out.push_back(summarise_session(it->path().string(), false));
  }
  std::sort(out.begin(), out.end(), [](const SessionSummary& a, const SessionSummary& b) {
    return a.updated_ms != b.updated_ms ? a.updated_ms > b.updated_ms : a.id < b.id;
  });
  return out;
}

}  // namespace ossa::runtime
