#pragma once
// What `ossa run` and `ossa chat` share: from an effective Config to a running agent session
// on the real engine — the Environment (tools, network, limits), model loading (with progress
// on a terminal), the engine worker, the transcript (new or resumed), Ctrl-C handling and the
// display (terminal or JSON lines).
//
//   AgentRunner r(cfg, {.json = false});
//   r.open({.resume = std::nullopt, .transcript_file = ""});
//   TurnResult t = r.run_turn("task");
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

namespace ossa::runtime {

struct RunnerOptions {
  bool json = false;      // events as JSON lines on stdout
  bool progress = true;   // model loading progress on stderr when it is a terminal
};

struct OpenOptions {
  std::optional<std::string> resume;  // session id or transcript path
  std::string transcript_file;        // explicit transcript path for a new session
};

class AgentRunner {
 public:
  // Loads the model (throws engine::CheckpointError / ConfigError).
  AgentRunner(Config cfg, RunnerOptions options);
  ~AgentRunner();

  // Starts a new session or resumes one; prints the session id and transcript on stderr.
  void open(const OpenOptions& o);
  // Runs one turn to its end on this thread; Ctrl-C cancels it (a second Ctrl-C exits).
  TurnResult run_turn(std::optional<std::string> user_text);
  // A fresh conversation (new transcript) with the same model and tools.
  void reset();

  AgentSession& session() { return *session_; }
  const std::string& session_id() const { return id_; }
  const std::string& transcript_path() const { return path_; }
  const Config& config() const { return cfg_; }
  const Environment& environment() const { return env_; }
  const tools::Registry& registry() const { return env_.registry(); }

 private:
  Config cfg_;
  RunnerOptions opt_;
  Environment env_;
  std::shared_ptr<const engine::Model> model_;
  EngineWorker worker_;
  boost::asio::io_context io_;
  std::shared_ptr<EventSink> display_;
  std::unique_ptr<TokenSource> source_;
  std::optional<TranscriptWriter> transcript_;
  std::unique_ptr<AgentSession> session_;
  std::string id_, path_;
};

}  // namespace ossa::runtime
