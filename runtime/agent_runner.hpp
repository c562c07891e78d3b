#pragma once
// What `ossa run` and `ossa chat` share: from an effective Config to a running agent session
// on the real engine — the Environment (tools, network, limits), model loading (with progress
// on a terminal), the engine worker, the transcript (new or resumed), Ctrl-C handling and the
// display (terminal or JSON lines).
//
//   AgentRunner r(cfg, {.json = false}, {.resume = std::nullopt, .transcript_file = ""});
//   TurnResult t = r.run_turn("task");
//
// Everything that can be checked without the model is checked before it loads (loading real
// weights takes a while): the environment (workspace, tools, network rules, search backend)
// and the transcript (a resumed one read and validated and locked, a new one created under its
// temporary name, so an unwritable folder is reported at once).
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "engine/model.hpp"
#include "runtime/agent_session.hpp"
#include "runtime/config.hpp"
#include "runtime/display.hpp"
#include "runtime/environment.hpp"
#include "runtime/engine_worker.hpp"
#include "runtime/transcript.hpp"

namespace ossa::runtime {

struct RunnerOptions {
  bool json = false;      // events as JSON lines on stdout
  bool progress = true;   // model loading progress on stderr when it is a terminal
  // The command that continues a session ("ossa run"): a stopped turn says
  // `to continue: <resume_command> --resume ID "..."`. Empty: no such line.
  std::string resume_command;
};

struct OpenOptions {
  std::optional<std::string> resume;  // session id or transcript path
  std::string transcript_file;        // explicit transcript path for a new session
  bool no_transcript = false;         // record nothing (a read-only home); no resume later
};

class GateSink;

// For `--resume` without `--model`: the checkpoint folder the session recorded at its start
// replaces the configured model (left as is when the transcript cannot be read, the resume
// then reports why, or when what was recorded is not an existing folder: a server's model id).
void use_recorded_model(Config& cfg, const std::string& resume);

class AgentRunner {
 public:
  // Builds the environment, prepares the transcript of `first` (see open), then loads the model
  // and opens the session (throws engine::CheckpointError / ConfigError / TranscriptError).
  AgentRunner(Config cfg, RunnerOptions options, const OpenOptions& first);
  ~AgentRunner();

  // Starts a new session or resumes one; prints the session id and transcript on stderr. A new
  // transcript appears on disk with the first turn: a session in which nothing was said
  // leaves no file.
  void open(const OpenOptions& o);
  // Runs one turn to its end on this thread; Ctrl-C cancels it (a second Ctrl-C exits).
  TurnResult run_turn(std::optional<std::string> user_text);
  // A fresh conversation (new transcript) with the same model and tools.
  void reset();
  // Chat's /effort and /approve: for this session from its next turn, and for those /new starts.
  void set_reasoning(const std::string& effort);
  void set_approve(ApproveMode mode);

  AgentSession& session() { return *session_; }
  const std::string& session_id() const { return id_; }
  const std::string& transcript_path() const { return path_; }  // empty: --no-transcript
  const Config& config() const { return cfg_; }
  const Environment& environment() const { return env_; }
  const tools::Registry& registry() const { return env_.registry(); }

 private:
  // A transcript ready to be written, before the model is needed.
  struct Opening {
    std::optional<TranscriptWriter> writer;
    std::string id, path;
    std::vector<Event> messages;  // a resumed session's conversation
    bool resumed = false;
  };
  void announce();
  Opening prepare(const OpenOptions& o) const;
  void start(Opening opening);

  Config cfg_;
  RunnerOptions opt_;
  Environment env_;
  std::shared_ptr<const engine::Model> model_;
  EngineWorker worker_;
  boost::asio::io_context io_;
  std::shared_ptr<EventSink> display_;
  std::shared_ptr<Display> terminal_;  // display_ when it is the terminal display
  std::shared_ptr<GateSink> gate_;  // holds the display until the transcript is published
  std::unique_ptr<TokenSource> source_;
  std::optional<TranscriptWriter> transcript_;
  std::unique_ptr<AgentSession> session_;
  std::string id_, path_;
};

}  // namespace ossa::runtime
