// `ossa chat`: an interactive agent session with the same display as `ossa run`.
#include <iostream>
#include <memory>
#include <sstream>

#include "runtime/agent_runner.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/config_flags.hpp"

namespace {

struct Options {
  ossa::runtime::ConfigFlags flags;
  std::string resume;
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
  cmd.add_option("--resume", o->resume, "Continue a session (its id, or a transcript path)");
  return [o] {
    using namespace ossa::runtime;
    Config cfg = o->flags.effective();
    std::unique_ptr<AgentRunner> runner;
    try {
      runner = std::make_unique<AgentRunner>(cfg, RunnerOptions{});
      OpenOptions open;
      if (!o->resume.empty()) open.resume = o->resume;
      runner->open(open);
    } catch (const ConfigError& e) {
      throw ossa::cli::UsageError(e.what());
    }
    std::fputs("ossa chat: type a message, /help for commands.\n", stderr);
    if (!o->resume.empty() && !runner->session().turn_complete()) runner->run_turn(std::nullopt);
    std::string line;
    for (;;) {
      std::fputs("\n> ", stderr);
      std::fflush(stderr);
      if (!std::getline(std::cin, line)) break;
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
                       runner->transcript_path().c_str());
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
