// `ossa chat`: an interactive agent session with the same display as `ossa run`.
#include <memory>
#include <sstream>

#include "runtime/agent_runner.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/config_flags.hpp"
#include "runtime/line_reader.hpp"
#include "runtime/sessions.hpp"

namespace {

struct Options {
  ossa::runtime::ConfigFlags flags;
  std::string resume;
  bool no_transcript = false;
};

const char* kHelp =
    "/help          this list\n"
    "/new           start a new conversation (new transcript)\n"
    "/tools         the tools the model can call\n"
    "/session       the session id and its transcript\n"
    "/exit, /quit   leave (Ctrl-D too)\n"
    "Ctrl-C while the agent works cancels the turn; at the prompt it quits.\n";

ossa::cli::Run setup(CLI::App& cmd) {
  auto o = std::make_shared<Options>();
  o->flags.add_to(cmd);
  cmd.add_option("--resume", o->resume,
                 "Continue a session (its id, or a transcript path), with the model it recorded "
                 "unless --model is given");
  cmd.add_flag("--no-transcript", o->no_transcript,
               "Record nothing (for a read-only home); the session cannot be resumed");
  cmd.footer(
      "On a terminal, lines are edited as in a shell (arrows, Ctrl-A/E, Ctrl-R) and the history\n"
      "is kept in $XDG_STATE_HOME/ossa/chat_history (default ~/.local/state/ossa/chat_history;\n"
      "in memory only with --no-transcript). Ctrl-D on an empty line leaves.");
  return [o] {
    using namespace ossa::runtime;
    Config cfg = o->flags.effective();
    if (!o->resume.empty() && !o->flags.overrides.model) use_recorded_model(cfg, o->resume);
    std::unique_ptr<AgentRunner> runner;
    try {
      OpenOptions open;
      if (!o->resume.empty()) open.resume = o->resume;
      open.no_transcript = o->no_transcript;
      runner = std::make_unique<AgentRunner>(cfg, RunnerOptions{}, open);
    } catch (const ConfigError& e) {
      throw ossa::cli::UsageError(e.what());
    }
    // What the agent can do here, before the first message (Codex shows the same).
    const Config& shown = runner->config();
    std::string tools;
    for (const auto& t : runner->registry().tools())
      tools += (tools.empty() ? "" : ", ") + t->spec().recipient();
    std::fprintf(stderr,
                 "ossa chat\n  model      %s\n  tools      %s\n  workspace  %s\n  sandbox    %s, "
                 "%d MiB\n  approvals  %s\n  session    %s\ntype a message, /help for commands.\n",
                 shown.model.c_str(), tools.empty() ? "none" : tools.c_str(),
                 runner->environment().workspace().c_str(), shown.sandbox_policy.c_str(),
                 shown.sandbox_memory_mib, to_string(shown.approve), runner->session_id().c_str());
    if (!o->resume.empty()) {
      // The conversation so far: what was asked and answered (reasoning and tool traffic are in
      // `ossa sessions show`).
      SessionSummary past = summarise_session(runner->transcript_path(), true);
      for (const auto& m : past.messages) {
        const std::string role = m.value("role", "");
        const std::string channel = m.contains("channel") && m["channel"].is_string() ? m["channel"].get<std::string>() : "";
        if (role == "user") std::fprintf(stderr, "\n> %s\n", message_text(m).c_str());
        else if (role == "assistant" && channel == "final") std::fprintf(stdout, "%s\n", message_text(m).c_str());
      }
      std::fflush(stdout);
      if (!runner->session().turn_complete()) runner->run_turn(std::nullopt);
    }
    LineReader input(o->no_transcript ? std::string() : default_history_path());
    for (;;) {
      std::fputc('\n', stderr);
      std::optional<std::string> read = input.read("> ");
      if (!read) {
        // Ctrl-D: the shell's prompt starts on a line of its own, not after ours.
        std::fputc('\n', stderr);
        break;
      }
      const std::string& line = *read;
      if (line.empty()) continue;
      if (line[0] == '/') {
        std::istringstream words(line);
        std::string c;
        words >> c;
        if (c == "/exit" || c == "/quit") break;
        if (c == "/help") {
          std::fputs(kHelp, stderr);
        } else if (c == "/new") {
          runner->reset();
        } else if (c == "/tools") {
          for (const auto& t : runner->registry().tools())
            std::fprintf(stderr, "  %s%s\n", t->spec().recipient().c_str(),
                         t->spec().needs_approval ? "  (asks for approval)" : "");
        } else if (c == "/session") {
          std::fprintf(stderr, "session %s\ntranscript %s\n", runner->session_id().c_str(),
                       runner->transcript_path().empty() ? "none (--no-transcript)"
                                                         : runner->transcript_path().c_str());
        } else {
          std::fprintf(stderr, "unknown command %s; /help lists them\n", c.c_str());
        }
        continue;
      }
      runner->run_turn(line);
    }
    return 0;
  };
}

}  // namespace

OSSA_CLI_COMMAND(chat, "Chat interactively with an agent (local model and tools)", setup);
