// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "runtime/agent_runner.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <thread>

#include "engine/weights_q8.hpp"
#include "runtime/default_model.hpp"
#include "runtime/engine_token_source.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/json_output.hpp"
#include "runtime/log.hpp"
#include "runtime/sessions.hpp"
#include "runtime/terminal_approver.hpp"

namespace ossa::runtime {
namespace asio = boost::asio;

namespace {

// Loads the model; on a terminal a ticking line shows that loading is under way (the engine
// maps and validates every tensor before returning, which takes a while on big checkpoints).
std::shared_ptr<const engine::Model> load_model(const Config& cfg, bool progress) {
  const bool tty = progress && ::isatty(STDERR_FILENO);
  auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> done{false};
  std::thread ticker;
  if (tty) {
    ticker = std::thread([&] {
      int i = 0;
      while (!done.load()) {
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "\rloading model %s %c %.1f s", cfg.model.c_str(), "|/-\\"[i++ % 4], s);
        std::fflush(stderr);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  }
  std::shared_ptr<const engine::Model> model;
  try {
    engine::LoadOptions lo;
    lo.threads = static_cast<unsigned>(cfg.threads);
    lo.weights_q8 = engine::parse_weights_q8(cfg.weights_q8);  // validated with the config
    lo.map_weights = cfg.map_weights;
    model = engine::Model::load(cfg.model, lo);
  } catch (...) {
    done = true;
    if (ticker.joinable()) ticker.join();
    if (tty) std::fputs("\n", stderr);
    throw;
  }
  done = true;
  if (ticker.joinable()) ticker.join();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (tty) std::fputs("\r\x1b[K", stderr);
  if (static_cast<unsigned>(cfg.threads) > model->threads())
    log::warn("threads = ", cfg.threads, " is more than the ", model->threads(),
              " usable cores; using ", model->threads());
  log::info("model ", cfg.model, " loaded in ", s, " s (", model->config().num_layers, " layers, ",
            model->weight_bytes() / (1024.0 * 1024 * 1024), " GiB mapped, ", model->threads(),
            " threads)");
  if (model->config().vocab_size < static_cast<int>(harmony::tokens::kModelVocabSize))
    throw ConfigError("the checkpoint in " + cfg.model + " has a vocabulary of " +
                      std::to_string(model->config().vocab_size) +
                      " tokens, smaller than harmony's " +
                      std::to_string(harmony::tokens::kModelVocabSize) +
                      ": it cannot run agents");
  return model;
}

// Every recorded message must parse, and the conversation must open with its system message
// (what the model needs to know its tools, date and effort); throws TranscriptError otherwise.
void validate_messages(const std::vector<Event>& messages, const std::string& path) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto m = harmony::message_from_json(messages[i]);
    if (!m)
      throw TranscriptError(path + ": message " + std::to_string(i + 1) +
                            " cannot be continued: " + m.error() + "; left untouched");
  }
  if (messages.empty() || messages.front().value("role", "") != "system")
    throw TranscriptError(path + ": the session's opening (its system message) is missing; it "
                                 "cannot be continued: start a new session");
}

engine::SamplingParams sampling_of(const Config& cfg) {
  engine::SamplingParams p;
  p.temperature = static_cast<float>(cfg.temperature);
  p.seed = cfg.seed;
  if (p.seed == 0) p.seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                            std::random_device{}();
  return p;
}

// The demo model (or $OSSA_MODEL) must be chosen before the environment is built from the
// configuration: the demo model changes the tool set it is offered.
Config with_default_model(Config cfg) {
  if (std::string note = choose_default_model(cfg); !note.empty()) log::warn(note);
  return cfg;
}

}  // namespace

// Passes events on, or holds them until open(): what a new session shows (its opening
// messages) is shown only once it is durable, so whatever a reader saw is on disk.
class GateSink final : public EventSink {
 public:
  explicit GateSink(std::shared_ptr<EventSink> inner) : inner_(std::move(inner)) {}
  void on_event(const SessionEvent& event, const Event& json) override {
    if (open_) inner_->on_event(event, json);
    else held_.emplace_back(event, json);
  }
  void open() {
    open_ = true;
    for (const auto& [event, json] : held_) inner_->on_event(event, json);
    held_.clear();
  }

 private:
  std::shared_ptr<EventSink> inner_;
  bool open_ = false;
  std::vector<std::pair<SessionEvent, Event>> held_;
};

AgentRunner::AgentRunner(Config cfg, RunnerOptions options, const OpenOptions& first)
    : cfg_(with_default_model(std::move(cfg))), opt_(options), env_(cfg_) {
  if (opt_.json) {
    display_ = std::make_shared<JsonLinesSink>(stdout);
  } else {
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    terminal_ = std::make_shared<Display>(tty);
    // -q: only errors on stderr.
    terminal_->set_timings(tty && log::level() < log::Level::error);
    terminal_->set_live_status(tty && log::level() < log::Level::error, ::isatty(STDOUT_FILENO) != 0);
    display_ = terminal_;
  }
  if (cfg_.model.empty())
    throw ConfigError("no model: pass --model DIR, set `model` in " +
                      (cfg_.source.empty() ? default_config_path() : cfg_.source) +
                      " or set OSSA_MODEL (the demo model is missing from this build)");
  Opening opening = prepare(first);
  // -q: not even the loading line.
  model_ = load_model(cfg_, opt_.progress && log::level() < log::Level::error);
  start(std::move(opening));
}

AgentRunner::~AgentRunner() = default;

AgentRunner::Opening AgentRunner::prepare(const OpenOptions& o) const {
  const std::string dir = cfg_.transcript_dir.empty() ? default_transcript_dir() : cfg_.transcript_dir;
  Opening op;
  if (o.resume && o.no_transcript)
    throw ConfigError("--no-transcript starts a session that is not recorded; --resume continues "
                      "a recorded one: give one or the other");
  if (o.resume) {
    op.resumed = true;
    op.path = ossa::runtime::transcript_path(dir, *o.resume);
    std::error_code ec;
    if (!std::filesystem::exists(op.path, ec))
      throw ConfigError("no session " + *o.resume + " (looked for " + op.path +
                        "); `ossa sessions` lists them");
    // Everything is checked before anything is written: a file that is not a transcript, or
    // one this version cannot continue, is left exactly as it was.
    TranscriptContents c = read_transcript(op.path);
    check_transcript(c, op.path);
    op.messages = transcript_messages(c);
    validate_messages(op.messages, op.path);
    op.writer.emplace(TranscriptWriter::open_existing(op.path));
    if (c.torn_tail) log::warn("the transcript's last line was incomplete (crash?); it was dropped");
    op.id = transcript_session_id(c);
  } else if (o.no_transcript) {
    op.id = new_session_id();
  } else {
    op.id = new_session_id();
    op.path = o.transcript_file.empty() ? dir + "/" + op.id + ".jsonl" : o.transcript_file;
    // Published once the opening is written: a crash before leaves no transcript at all.
    try {
      op.writer.emplace(TranscriptWriter::create_staged(op.path));
    } catch (const TranscriptError& e) {
      throw ConfigError(std::string(e.what()) +
                        (o.transcript_file.empty()
                             ? " (set `transcripts.dir` or --transcript-dir to a writable folder)"
                             : " (give --transcript a writable path that does not exist yet)"));
    }
  }
  return op;
}

void AgentRunner::open(const OpenOptions& o) { start(prepare(o)); }

void use_recorded_model(Config& cfg, const std::string& resume) {
  const std::string dir = cfg.transcript_dir.empty() ? default_transcript_dir() : cfg.transcript_dir;
  SessionSummary s = summarise_session(ossa::runtime::transcript_path(dir, resume), false);
  // Only a checkpoint folder: a session `ossa serve` started records the model's API id.
  std::error_code ec;
  if (!s.model.empty() && s.model.front() == '/' && std::filesystem::is_directory(s.model, ec))
    cfg.model = s.model;
}

void AgentRunner::start(Opening op) {
  SessionOptions so;
  so.reasoning = cfg_.reasoning;
  so.instructions = cfg_.instructions;
  so.date = conversation_date(cfg_);
  so.limits = cfg_.limits;
  so.approve = cfg_.approve;
  so.need_approval = cfg_.need_approval;

  // The previous session (chat's /new) goes before what it used: its source and transcript.
  session_.reset();
  source_ = std::make_unique<EngineTokenSource>(model_, sampling_of(cfg_));
  transcript_.reset();
  if (op.writer) transcript_.emplace(std::move(*op.writer));
  id_ = op.id;
  path_ = op.path;
  std::vector<Event> messages = std::move(op.messages);
  std::shared_ptr<TranscriptSink> transcript_sink;
  if (transcript_) transcript_sink = std::make_shared<TranscriptSink>(*transcript_);
  gate_ = std::make_shared<GateSink>(display_);
  if (terminal_)
    terminal_->set_resume_hint(opt_.resume_command.empty() || !transcript_
                                   ? std::string()
                                   : opt_.resume_command + " --resume " + id_ + " \"...\"");

  SessionDeps deps;
  deps.tokenizer = &harmony::Tokenizer::builtin();
  deps.registry = &env_.registry();
  deps.worker = &worker_;
  deps.source = source_.get();
  deps.tool_context = env_.tool_context({}, nullptr);
  if (transcript_sink) deps.events.add(transcript_sink);
  deps.events.add(gate_);
  {  // asked only in ask mode, which chat's /approve may turn on later
    deps.approver = make_terminal_approver();
    // The question is asked on the terminal: no status line over it.
    if (terminal_)
      deps.approver = [ask = deps.approver, display = terminal_](
                          const tools::ToolCall& call) -> asio::awaitable<bool> {
        display->pause_status(true);
        auto asked = ask(call);  // named: GCC 12 destroys co_await temporaries twice
        bool yes = co_await std::move(asked);
        display->pause_status(false);
        co_return yes;
      };
  }
  if (terminal_)
    deps.on_progress = [display = terminal_](const RoundStats& s) { display->round_progress(s); };
  session_ = std::make_unique<AgentSession>(std::move(deps), so);
  if (op.resumed) {
    announce();
    SessionResumed ev{id_, to_json(cfg_)};
    transcript_sink->on_event(ev, to_json(ev));
    session_->resume(messages);
  } else {
    // The model as an absolute path: `--resume` from another folder finds it again.
    std::error_code ec;
    std::filesystem::path model = std::filesystem::absolute(cfg_.model, ec);
    SessionStarted start{id_, ec ? cfg_.model : model.lexically_normal().string(), to_json(cfg_)};
    if (transcript_sink) transcript_sink->on_event(start, to_json(start));
    session_->start_new();
    // Published (and shown) with the first turn: nothing said, no file.
    if (!transcript_) announce();
  }
}

void AgentRunner::announce() {
  if (opt_.json)
    out::print_json_line({{"type", "session"}, {"id", id_}, {"transcript", path_.empty() ? nlohmann::json(nullptr) : nlohmann::json(path_)}});
  else if (path_.empty())
    log::info("session ", id_, " (no transcript)");
  else
    log::info("session ", id_, " (transcript ", path_, ")");
  gate_->open();
}

void AgentRunner::set_reasoning(const std::string& effort) {
  cfg_.reasoning = effort;
  session_->set_reasoning(effort);
}

void AgentRunner::set_approve(ApproveMode mode) {
  cfg_.approve = mode;
  session_->set_approve(mode);
}

void AgentRunner::reset() {
  OpenOptions o;
  open(o);
}

TurnResult AgentRunner::run_turn(std::optional<std::string> user_text) {
  if (transcript_ && transcript_->staged()) {
    transcript_->publish();
    announce();
  }
  TurnResult result;
  std::exception_ptr failure;
  // Signals are caught only while a turn runs; at chat's prompt Ctrl-C ends the program.
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  int interrupts = 0;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (++interrupts >= 2) std::_Exit(130);
        if (terminal_) terminal_->erase_status();
        std::fputs("\ncancelling (Ctrl-C again to quit at once)\n", stderr);
        session_->cancel();
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  // The live status line moves on while nothing else happens (a long prefill, a tool run).
  asio::steady_timer ticker(io_);
  std::function<void(const boost::system::error_code&)> on_tick = [&](const boost::system::error_code& ec) {
    if (ec) return;
    terminal_->tick();
    ticker.expires_after(std::chrono::milliseconds(100));
    ticker.async_wait(on_tick);
  };
  if (terminal_) {
    terminal_->turn_started();
    ticker.expires_after(std::chrono::milliseconds(100));
    ticker.async_wait(on_tick);
  }
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> { result = co_await session_->run_turn(std::move(user_text)); },
      [&](std::exception_ptr e) {
        failure = e;
        signals.cancel();
        ticker.cancel();
        // A tool that outlived its timeout may still be winding down; it must not hold the
        // turn open. It finishes during a later run() or with the process.
        io_.stop();
      });
  io_.run();
  io_.restart();
  if (terminal_) terminal_->erase_status();
  if (failure) std::rethrow_exception(failure);
  return result;
}

}  // namespace ossa::runtime
