// `ossa sessions [--json]`, `ossa sessions show ID [--json]`, `ossa sessions rm ID`: the agent
// sessions recorded in the transcript folder (`transcripts.dir`, --transcript-dir).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/cli/command.hpp"
#include "runtime/config.hpp"
#include "runtime/json_output.hpp"
#include "runtime/sessions.hpp"
#include "runtime/transcript.hpp"

namespace {

struct Options {
  std::string config_file;
  std::string transcript_dir;
  std::string id;
  bool json = false;
};

std::string local_time(long long ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

nlohmann::json summary_json(const ossa::runtime::SessionSummary& s) {
  nlohmann::json j = {{"id", s.id},         {"path", s.path},   {"started_ms", s.started_ms},
                      {"updated_ms", s.updated_ms}, {"model", s.model}, {"first_task", s.first_task},
                      {"turns", s.turns},   {"state", s.state}};
  if (!s.stop_reason.empty()) j["stop_reason"] = s.stop_reason;
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

std::string folder(const Options& o) {
  if (!o.transcript_dir.empty()) return o.transcript_dir;
  try {
    ossa::runtime::Config c = ossa::runtime::load_config(o.config_file);
    return c.transcript_dir.empty() ? ossa::runtime::default_transcript_dir() : c.transcript_dir;
  } catch (const ossa::runtime::ConfigError& e) {
    throw ossa::cli::UsageError(e.what());
  }
}

// The transcript of session `id` (or a path); a usage error when there is none.
std::string existing(const Options& o) {
  const std::string dir = folder(o);
  std::string path = ossa::runtime::transcript_path(dir, o.id);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw ossa::cli::UsageError("no session " + o.id + " (looked for " + path +
                                "); `ossa sessions` lists them");
  return path;
}

void print_table(const std::vector<ossa::runtime::SessionSummary>& list, const std::string& dir) {
  if (list.empty()) {
    std::fprintf(stderr, "no sessions in %s\n", dir.c_str());
    return;
  }
  std::printf("%-26s %-16s %5s  %-11s %-20s %s\n", "ID", "STARTED", "TURNS", "STATE", "MODEL",
              "FIRST TASK");
  for (const auto& s : list) {
    std::string model = std::filesystem::path(s.model).filename().string();
    if (model.empty()) model = s.model.empty() ? "-" : s.model;
    std::printf("%-26s %-16s %5d  %-11s %-20s %s\n", s.id.c_str(), local_time(s.started_ms).c_str(),
                s.turns, s.state.c_str(), model.c_str(),
                s.state == "unreadable" ? s.error.c_str() : s.first_task.c_str());
  }
}

void print_conversation(const ossa::runtime::SessionSummary& s) {
  std::printf("session %s  started %s  model %s\nstate %s, %d turn%s  (%s)\n\n", s.id.c_str(),
              local_time(s.started_ms).c_str(), s.model.empty() ? "-" : s.model.c_str(),
              s.state.c_str(), s.turns, s.turns == 1 ? "" : "s", s.path.c_str());
  for (const auto& m : s.messages) {
    const std::string role = m.value("role", "");
    if (role == "system" || role == "developer") continue;
    std::string who = role;
    if (role == "tool") who = m.value("name", "tool");
    if (auto ch = m.find("channel"); ch != m.end() && ch->is_string()) who += " [" + ch->get<std::string>() + "]";
    if (auto to = m.find("recipient"); to != m.end() && to->is_string()) who += " -> " + to->get<std::string>();
    std::printf("%s: %s\n", who.c_str(), ossa::runtime::message_text(m).c_str());
  }
}

ossa::cli::Run setup(CLI::App& cmd) {
  auto o = std::make_shared<Options>();
  auto common = [o](CLI::App* c) {
    c->add_option("--config", o->config_file,
                  "Configuration file whose `transcripts.dir` is used (default ~/.config/ossa/config.toml)");
    c->add_option("--transcript-dir", o->transcript_dir, "Folder of session transcripts");
  };
  common(&cmd);
  cmd.add_flag("--json", o->json, "Print the list as JSON");
  cmd.require_subcommand(0, 1);
  auto* show = cmd.add_subcommand("show", "Print a session's conversation");
  common(show);
  show->add_option("id", o->id, "Session id (or transcript path)")->required();
  show->add_flag("--json", o->json, "Print the summary and the messages as JSON");
  auto* rm = cmd.add_subcommand("rm", "Delete a session's transcript");
  common(rm);
  rm->add_option("id", o->id, "Session id (or transcript path)")->required();
  cmd.footer("Without a subcommand: the sessions, most recent first (id, start, turns, state, "
             "model, first task). `ossa run --resume ID` or `ossa chat --resume ID` continues one.");
  return [o, show, rm] {
    using namespace ossa::runtime;
    if (show->parsed()) {
      SessionSummary s = summarise_session(existing(*o), true);
      if (s.state == "unreadable") throw std::runtime_error(s.error);
      if (o->json) {
        nlohmann::json j = summary_json(s);
        j["messages"] = nlohmann::json::parse(nlohmann::ordered_json(s.messages).dump());
        ossa::out::print_json(j);
      } else {
        print_conversation(s);
      }
      return 0;
    }
    if (rm->parsed()) {
      const std::string path = existing(*o);
      // Held while the file goes: a session still running is not deleted under its writer,
      // and a file that is not a transcript is refused untouched.
      TranscriptWriter lock = TranscriptWriter::open_existing(path);
      if (::unlink(path.c_str()) != 0)
        throw std::runtime_error(path + ": cannot delete: " + std::strerror(errno));
      ossa::out::print_json({{"removed", o->id}, {"path", path}});
      return 0;
    }
    const std::string dir = folder(*o);
    auto list = list_sessions(dir);
    if (o->json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& s : list) arr.push_back(summary_json(s));
      ossa::out::print_json({{"dir", dir}, {"sessions", arr}});
    } else {
      print_table(list, dir);
    }
    return 0;
  };
}

}  // namespace

OSSA_CLI_COMMAND(sessions, "List, show or delete recorded agent sessions", setup);
