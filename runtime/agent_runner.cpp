// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "runtime/agent_runner.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <thread>

#include "runtime/engine_token_source.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/json_output.hpp"
#include "runtime/log.hpp"
#include "runtime/terminal_approver.hpp"
#include "runtime/tool_setup.hpp"

namespace ossa::runtime {
namespace asio = boost::asio;

namespace {

std::string today_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

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

engine::SamplingParams sampling_of(const Config& cfg) {
  engine::SamplingParams p;
  p.temperature = static_cast<float>(cfg.temperature);
  p.seed = cfg.seed;
  if (p.seed == 0) p.seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                            std::random_device{}();
  return p;
}

}  // namespace

AgentRunner::AgentRunner(Config cfg, RunnerOptions options)
    : cfg_(std::move(cfg)),
      opt_(options),
      display_(options.json ? Display::Mode::json : Display::Mode::terminal,
               ::isatty(STDERR_FILENO) != 0) {
  if (cfg_.model.empty())
    throw ConfigError("no model: pass --model DIR or set `model` in " +
                      (cfg_.source.empty() ? default_config_path() : cfg_.source));
  registry_ = build_registry(cfg_);
  model_ = load_model(cfg_, opt_.progress);
}

AgentRunner::~AgentRunner() = default;

void AgentRunner::open(const OpenOptions& o) {
  SessionOptions so;
  so.reasoning = cfg_.reasoning;
  so.instructions = cfg_.instructions;
  so.date = cfg_.date.empty() ? today_utc() : cfg_.date;
  so.limits = cfg_.limits;
  so.approve = cfg_.approve;
  so.need_approval = cfg_.need_approval;
  so.exec = exec_limits(cfg_);
  so.secrets = std::make_shared<const tools::Secrets>(cfg_.secrets);
  so.workspace = cfg_.workspace.empty() ? std::filesystem::current_path()
                                        : std::filesystem::path(cfg_.workspace);
  const std::string dir = cfg_.transcript_dir.empty() ? default_transcript_dir() : cfg_.transcript_dir;

  source_ = std::make_unique<EngineTokenSource>(model_, sampling_of(cfg_));
  std::vector<Event> messages;
  if (o.resume) {
    path_ = ossa::runtime::transcript_path(dir, *o.resume);
    if (!std::filesystem::exists(path_))
      throw ConfigError("no session " + *o.resume + " (looked for " + path_ + ")");
    TranscriptContents c = read_transcript(path_);
    if (c.torn_tail) log::warn("the transcript's last line was incomplete (crash?); it was dropped");
    messages = transcript_messages(c);
    transcript_.emplace(TranscriptWriter::open_existing(path_));
    id_ = std::filesystem::path(path_).stem().string();
  } else {
    id_ = new_session_id();
    path_ = o.transcript_file.empty() ? dir + "/" + id_ + ".jsonl" : o.transcript_file;
    transcript_.emplace(TranscriptWriter::create(path_));
    transcript_->append({{"type", "session_start"},
                         {"id", id_},
                         {"model", cfg_.model},
                         {"config", to_json(cfg_)}},
                        true);
  }

  if (opt_.json)
    out::print_json_line({{"type", "session"}, {"id", id_}, {"transcript", path_}});
  else
    log::info("session ", id_, " (transcript ", path_, ")");

  SessionDeps deps;
  deps.tokenizer = &harmony::Tokenizer::builtin();
  deps.registry = &registry_;
  deps.worker = &worker_;
  deps.source = source_.get();
  deps.transcript = &*transcript_;
  deps.sink = [this](const nlohmann::json& ev) { display_(ev); };
  if (cfg_.approve == ApproveMode::ask) deps.approver = make_terminal_approver();
  session_ = std::make_unique<AgentSession>(std::move(deps), so);
  if (o.resume) {
    transcript_->append({{"type", "session_resume"}, {"id", id_}, {"config", to_json(cfg_)}}, true);
    session_->resume(messages);
  } else {
    session_->start_new();
  }
}

void AgentRunner::reset() {
  OpenOptions o;
  open(o);
}

TurnResult AgentRunner::run_turn(std::optional<std::string> user_text) {
  TurnResult result;
  std::exception_ptr failure;
  // Signals are caught only while a turn runs; at chat's prompt Ctrl-C ends the program.
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  int interrupts = 0;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (++interrupts >= 2) std::_Exit(130);
        std::fputs("\ncancelling (Ctrl-C again to quit at once)\n", stderr);
        session_->cancel();
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> { result = co_await session_->run_turn(std::move(user_text)); },
      [&](std::exception_ptr e) {
        failure = e;
        signals.cancel();
        // A tool that outlived its timeout may still be winding down; it must not hold the
        // turn open. It finishes during a later run() or with the process.
        io_.stop();
      });
  io_.run();
  io_.restart();
  if (failure) std::rethrow_exception(failure);
  return result;
}

}  // namespace ossa::runtime
