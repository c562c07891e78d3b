// `ossa run "task"`: one agent turn on the real engine, streamed to the terminal (or as JSON
// lines with --json), recorded in a transcript that --resume continues.
#include <memory>

#include "runtime/agent_runner.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/config_flags.hpp"

namespace {

struct Options {
  ossa::runtime::ConfigFlags flags;
  bool json = false;
  std::string resume;
  std::string transcript;
  bool no_transcript = false;
  std::string task;
};

int exit_code(const ossa::runtime::TurnResult& r) {
  if (r.reason == "final") return 0;
  if (r.reason == "cancelled") return 130;
  return 1;
}

ossa::cli::Run setup(CLI::App& cmd) {
  auto o = std::make_shared<Options>();
  o->flags.add_to(cmd);
  cmd.add_flag("--json", o->json, "Stream the session's events as JSON lines on stdout");
  cmd.add_option("--resume", o->resume,
                 "Continue a session (its id, or a transcript path) after a stop or a crash, "
                 "with the model it recorded unless --model is given");
  cmd.add_option("--transcript", o->transcript, "Write the new session's transcript to FILE");
  cmd.add_flag("--no-transcript", o->no_transcript,
               "Record nothing (for a read-only home); the session cannot be resumed");
  cmd.add_option("task", o->task, "What the agent should do");
  cmd.footer(
      "Reasoning and tool activity go to stderr, the final answer to stdout.\n"
      "Exit codes: 0 final answer, 1 stopped by a limit or failure, 2 usage error, "
      "130 cancelled (Ctrl-C).");
  return [o] {
    using namespace ossa::runtime;
    if (o->task.empty() && o->resume.empty())
      throw ossa::cli::UsageError("give a task, or --resume ID to continue a session");
    if (!o->resume.empty() && !o->transcript.empty())
      throw ossa::cli::UsageError("--transcript names a new session's file; --resume reuses one");
    if (o->no_transcript && !o->transcript.empty())
      throw ossa::cli::UsageError("--no-transcript and --transcript: give one or the other");
    Config cfg = o->flags.effective();
    // A resumed session goes on with its own model unless --model names another.
    if (!o->resume.empty() && !o->flags.overrides.model) use_recorded_model(cfg, o->resume);
    std::unique_ptr<AgentRunner> runner;
    try {
      OpenOptions open;
      if (!o->resume.empty()) open.resume = o->resume;
      open.transcript_file = o->transcript;
      open.no_transcript = o->no_transcript;
      runner = std::make_unique<AgentRunner>(
          cfg, RunnerOptions{.json = o->json, .resume_command = "ossa run"}, open);
    } catch (const ConfigError& e) {
      throw ossa::cli::UsageError(e.what());
    }
    std::optional<std::string> task;
    if (!o->task.empty()) task = o->task;
    else if (runner->session().turn_complete())
      throw ossa::cli::UsageError("session " + runner->session_id() +
                                  " already ended with an answer; give a new task to continue it");
    return exit_code(runner->run_turn(task));
  };
}

}  // namespace

OSSA_CLI_COMMAND(run, "Run an agent on a task with the local model and tools", setup);
