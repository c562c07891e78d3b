// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "runtime/server/agent_sessions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <system_error>

#include "runtime/agent_session.hpp"
#include "runtime/events.hpp"
#include "runtime/log.hpp"
#include "runtime/server/transcript_sessions.hpp"
#include "runtime/transcript.hpp"

namespace ossa::server {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using runtime::Event;

namespace {

using Timer = asio::steady_timer;

std::string str_field(const Json& body, const char* key, const std::string& fallback) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw bad_field(key, std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

Json parse_object(const std::string& text) {
  if (text.empty()) return Json::object();
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ApiError(400, "the body must be a JSON object");
  return j;
}

Json approval_request(const tools::ToolCall& call) {
  return Json{{"type", "approval_request"}, {"time", runtime::now_ms()},
              {"recipient", call.recipient}, {"body", call.body}};
}

Json backend_failure(const std::string& what) {
  return Json{{"type", "turn_end"}, {"time", runtime::now_ms()}, {"reason", "backend_error"},
              {"detail", what}, {"final", ""}, {"tool_rounds", 0}, {"generated_tokens", 0},
              {"wall_ms", 0}};
}

}  // namespace

// ---- EventFeed ------------------------------------------------------------------------------

void EventFeed::push(Json event) {
  events_.push_back(std::move(event));
  wake();
}

void EventFeed::close() {
  closed_ = true;
  wake();
}

void EventFeed::wake() {
  for (auto& w : waiters_) static_cast<Timer*>(w.get())->cancel();
  waiters_.clear();
}

asio::awaitable<void> EventFeed::wait() {
  if (closed_) co_return;
  auto timer = std::make_shared<Timer>(ex_, Timer::time_point::max());
  waiters_.push_back(timer);
  boost::system::error_code ec;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// ---- One open session -----------------------------------------------------------------------

namespace {

struct Pending {
  explicit Pending(asio::any_io_executor ex) : timer(ex, Timer::time_point::max()) {}
  Timer timer;
  std::optional<bool> decision;
};

struct Live {
  std::string id;
  std::optional<runtime::TranscriptWriter> writer;
  std::unique_ptr<runtime::TokenSource> source;
  std::unique_ptr<runtime::AgentSession> session;
  std::shared_ptr<EventFeed> feed;
  std::shared_ptr<Pending> pending;
  bool running = false;
  std::chrono::steady_clock::time_point used = std::chrono::steady_clock::now();

  void decide(bool approved) {
    if (!pending) return;
    pending->decision = approved;
    pending->timer.cancel();
  }
};

// Forwards the session's events to the turn's feed (the transcript has its own sink, first).
class FeedSink final : public runtime::EventSink {
 public:
  explicit FeedSink(Live* live) : live_(live) {}
  void on_event(const runtime::SessionEvent&, const Event& json) override {
    if (live_->feed) live_->feed->push(json);
  }

 private:
  Live* live_;
};

// The page's approver: parks the call until the page decides (or the turn is stopped).
asio::awaitable<bool> await_approval(Live* live, tools::ToolCall call) {
  auto ex = co_await asio::this_coro::executor;
  auto pending = std::make_shared<Pending>(ex);
  live->pending = pending;
  if (live->feed) live->feed->push(approval_request(call));
  boost::system::error_code ec;
  co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (live->pending == pending) live->pending.reset();
  co_return pending->decision.value_or(false);
}

asio::awaitable<void> run_live_turn(std::shared_ptr<Live> live, std::string text) {
  std::string failure;
  try {
    auto op = live->session->run_turn(std::optional<std::string>(std::move(text)));
    co_await std::move(op);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    log::error("agent session ", live->id, ": ", failure);
    live->feed->push(backend_failure(failure));
  }
  live->running = false;
  live->used = std::chrono::steady_clock::now();
  live->feed->close();
}

}  // namespace

// ---- AgentSessions --------------------------------------------------------------------------

struct AgentSessions::Impl {
  asio::any_io_executor ex;
  AgentSessionsDeps deps;
  std::map<std::string, std::shared_ptr<Live>> open;

  Impl(asio::any_io_executor e, AgentSessionsDeps d) : ex(std::move(e)), deps(std::move(d)) {}

  fs::path file_of(const std::string& id) const { return deps.dir / (id + ".jsonl"); }

  // Room for one more open session: closes the least recently used idle one when full.
  void make_room() {
    while (static_cast<int>(open.size()) >= std::max(1, deps.max_open)) {
      auto victim = open.end();
      for (auto it = open.begin(); it != open.end(); ++it)
        if (!it->second->running && (victim == open.end() || it->second->used < victim->second->used))
          victim = it;
      if (victim == open.end())
        throw ApiError(429, "every open agent session is running a turn; try again when one ends",
                       "rate_limit_error", std::nullopt, "sessions_busy");
      open.erase(victim);
    }
  }

  runtime::SessionOptions options_of(const runtime::Config& cfg) const {
    runtime::SessionOptions so;
    so.reasoning = cfg.reasoning;
    so.instructions = cfg.instructions;
    so.date = runtime::conversation_date(cfg);
    so.limits = cfg.limits;
    so.approve = cfg.approve;
    so.need_approval = cfg.need_approval;
    return so;
  }

  // A Live with its source, transcript sink and feed; the caller makes the session.
  std::shared_ptr<Live> make_live(const std::string& id, runtime::TranscriptWriter writer,
                                  const runtime::Config& cfg, std::shared_ptr<runtime::EventSink>& tsink) {
    if (!deps.registry || !deps.factory)
      throw ApiError(404, "this server runs no agent sessions", "invalid_request_error", std::nullopt,
                     "not_found");
    auto live = std::make_shared<Live>();
    live->id = id;
    live->writer.emplace(std::move(writer));
    live->source = deps.factory->make();
    SamplingOptions sampling;
    sampling.temperature = cfg.temperature;
    if (cfg.seed != 0) sampling.seed = cfg.seed;
    deps.factory->configure(*live->source, sampling);
    live->feed = std::make_shared<EventFeed>(ex);
    live->feed->close();
    tsink = std::make_shared<runtime::TranscriptSink>(*live->writer);
    runtime::SessionDeps sd;
    sd.tokenizer = deps.tokenizer;
    sd.registry = deps.registry;
    sd.worker = deps.worker;
    sd.source = live->source.get();
    sd.tool_context = deps.tool_context;
    sd.events.add(tsink);
    sd.events.add(std::make_shared<FeedSink>(live.get()));
    Live* raw = live.get();
    sd.approver = [raw](const tools::ToolCall& call) { return await_approval(raw, call); };
    live->session = std::make_unique<runtime::AgentSession>(std::move(sd), options_of(cfg));
    return live;
  }

  Json create(const Json& body) {
    runtime::Config cfg = deps.config;
    cfg.reasoning = str_field(body, "reasoning_effort", cfg.reasoning);
    if (cfg.reasoning != "low" && cfg.reasoning != "medium" && cfg.reasoning != "high")
      throw bad_field("reasoning_effort", "reasoning_effort must be low, medium or high");
    cfg.instructions = str_field(body, "instructions", cfg.instructions);
    try {
      cfg.approve = runtime::parse_approve_mode(str_field(body, "approve", runtime::to_string(cfg.approve)));
    } catch (const runtime::ConfigError& e) {
      throw bad_field("approve", e.what());
    }
    cfg.transcript_dir = deps.dir.string();
    make_room();
    const std::string id = runtime::new_session_id();
    std::shared_ptr<runtime::EventSink> tsink;
    auto live = make_live(id, runtime::TranscriptWriter::create_staged(file_of(id).string()), cfg, tsink);
    runtime::SessionStarted start{id, deps.model_id, runtime::to_json(cfg)};
    tsink->on_event(start, runtime::to_json(start));
    live->session->start_new();
    live->writer->publish();
    open[id] = live;
    return Json{{"id", id}, {"settings", transcript_settings(runtime::read_transcript(file_of(id).string()).events)}};
  }

  // The open session `id`, resumed from its transcript when it is not open yet.
  std::shared_ptr<Live> get_or_resume(const std::string& id) {
    if (auto it = open.find(id); it != open.end()) return it->second;
    const fs::path file = file_of(id);
    std::error_code ec;
    if (!valid_session_id(id) || !fs::is_regular_file(file, ec))
      throw ApiError(404, "no agent session " + id, "invalid_request_error", std::nullopt, "not_found");
    std::vector<Event> messages;
    Json settings;
    try {
      runtime::TranscriptContents c = runtime::read_transcript(file.string());
      runtime::check_transcript(c, file.string());
      messages = runtime::transcript_messages(c);
      settings = transcript_settings(c.events);
      if (messages.empty() || messages.front().value("role", "") != "system")
        throw runtime::TranscriptError("its opening (the system message) is missing");
    } catch (const runtime::TranscriptError& e) {
      throw ApiError(422, std::string("session ") + id + " cannot be continued: " + e.what());
    }
    // The session goes on as it started (the resume record says so); the server's configuration
    // gives the rest (limits, date, sampling), as `ossa run --resume` does with its own.
    runtime::Config cfg = deps.config;
    cfg.reasoning = settings["reasoning_effort"].get<std::string>();
    cfg.instructions = settings["instructions"].get<std::string>();
    try {
      cfg.approve = runtime::parse_approve_mode(settings["approve"].get<std::string>());
    } catch (const runtime::ConfigError& e) {
      throw ApiError(422, std::string("session ") + id + " cannot be continued: " + e.what());
    }
    cfg.transcript_dir = deps.dir.string();
    make_room();
    std::optional<runtime::TranscriptWriter> writer;
    try {
      writer.emplace(runtime::TranscriptWriter::open_existing(file.string()));
    } catch (const runtime::TranscriptError& e) {
      throw ApiError(409, std::string("session ") + id + " cannot be opened: " + e.what());
    }
    std::shared_ptr<runtime::EventSink> tsink;
    auto live = make_live(id, std::move(*writer), cfg, tsink);
    try {
      live->session->resume(messages);
    } catch (const runtime::TranscriptError&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw ApiError(422, std::string("session ") + id + " cannot be continued: " + e.what());
    }
    runtime::SessionResumed ev{id, runtime::to_json(cfg)};
    tsink->on_event(ev, runtime::to_json(ev));
    open[id] = live;
    return live;
  }

  std::shared_ptr<Live> running_session(const std::string& id, const char* what) {
    auto it = open.find(id);
    if (it == open.end() || !it->second->running)
      throw ApiError(409, std::string("no turn of session ") + id + " is running: nothing to " + what,
                     "invalid_request_error", std::nullopt, "not_running");
    return it->second;
  }

  Json start_turn(const std::string& id, const Json& body) {
    const std::string input = str_field(body, "input", "");
    if (input.empty()) throw bad_field("input", "input must be a non-empty string");
    auto live = get_or_resume(id);
    if (live->running)
      throw ApiError(409, "a turn of session " + id + " is already running", "invalid_request_error",
                     std::nullopt, "turn_running");
    live->running = true;
    live->used = std::chrono::steady_clock::now();
    live->feed = std::make_shared<EventFeed>(ex);
    asio::co_spawn(ex, run_live_turn(live, input), [](std::exception_ptr) {});
    return Json{{"id", id}, {"status", "running"}};
  }

  Json decide(const std::string& id, const Json& body) {
    auto live = running_session(id, "approve");
    auto it = body.find("approved");
    if (it == body.end() || !it->is_boolean()) throw bad_field("approved", "approved must be true or false");
    if (!live->pending)
      throw ApiError(409, "no call of session " + id + " is waiting for approval", "invalid_request_error",
                     std::nullopt, "nothing_pending");
    live->decide(it->get<bool>());
    return Json{{"id", id}, {"approved", it->get<bool>()}};
  }

  Json cancel(const std::string& id) {
    auto live = running_session(id, "stop");
    live->decide(false);
    live->session->cancel();
    return Json{{"id", id}, {"status", "cancelling"}};
  }

  Json remove(const std::string& id) {
    if (auto it = open.find(id); it != open.end()) {
      if (it->second->running)
        throw ApiError(409, "a turn of session " + id + " is running: stop it first",
                       "invalid_request_error", std::nullopt, "turn_running");
      open.erase(it);
    }
    std::error_code ec;
    if (!valid_session_id(id) || !fs::remove(file_of(id), ec))
      throw ApiError(404, "no agent session " + id, "invalid_request_error", std::nullopt, "not_found");
    return Json{{"id", id}, {"deleted", true}};
  }

  Json list() const {
    Json l = list_transcript_sessions(deps.dir);
    for (Json& s : l["data"]) {
      auto it = open.find(s["id"].get<std::string>());
      s["running"] = it != open.end() && it->second->running;
      s["awaiting_approval"] = it != open.end() && it->second->pending != nullptr;
    }
    return l;
  }
};

AgentSessions::AgentSessions(asio::any_io_executor ex, AgentSessionsDeps deps)
    : impl_(std::make_unique<Impl>(std::move(ex), std::move(deps))) {}

AgentSessions::~AgentSessions() = default;

namespace {

constexpr const char* kPrefix = "/ossa/agents";

// The parts of a path under /ossa/agents: {} for the collection, {id} or {id, action}.
std::vector<std::string> parts_of(const std::string& path) {
  std::vector<std::string> parts;
  std::string rest = path.substr(std::string(kPrefix).size());
  std::size_t i = 0;
  while (i < rest.size()) {
    if (rest[i] == '/') {
      ++i;
      continue;
    }
    std::size_t j = rest.find('/', i);
    if (j == std::string::npos) j = rest.size();
    parts.push_back(rest.substr(i, j - i));
    i = j;
  }
  return parts;
}

ApiError not_found(const std::string& method, const std::string& path) {
  return ApiError(404, "no route " + method + " " + path, "invalid_request_error", std::nullopt, "not_found");
}

}  // namespace

bool AgentSessions::is_route(const std::string& path) {
  return path == kPrefix || path.rfind(std::string(kPrefix) + "/", 0) == 0;
}

bool AgentSessions::is_events_route(const std::string& method, const std::string& path) {
  auto p = is_route(path) ? parts_of(path) : std::vector<std::string>{};
  return method == "GET" && p.size() == 2 && p[1] == "events";
}

Json AgentSessions::handle(const std::string& method, const std::string& path, const std::string& body) {
  Impl& s = *impl_;
  auto p = parts_of(path);
  auto need = [&](const char* m) {
    if (method != m) throw ApiError(405, std::string("use ") + m);
  };
  if (p.empty()) {
    if (method == "POST") return s.create(parse_object(body));
    need("GET");
    return s.list();
  }
  const std::string& id = p[0];
  if (p.size() == 1) {
    if (method == "DELETE") return s.remove(id);
    need("GET");
    auto view = transcript_session_view(s.deps.dir, id);
    if (!view) throw ApiError(404, "no agent session " + id, "invalid_request_error", std::nullopt, "not_found");
    auto it = s.open.find(id);
    (*view)["running"] = it != s.open.end() && it->second->running;
    return *view;
  }
  if (p.size() != 2) throw not_found(method, path);
  if (p[1] == "turns") {
    need("POST");
    return s.start_turn(id, parse_object(body));
  }
  if (p[1] == "approval") {
    need("POST");
    return s.decide(id, parse_object(body));
  }
  if (p[1] == "cancel") {
    need("POST");
    return s.cancel(id);
  }
  if (p[1] == "events") throw ApiError(405, "use GET");
  throw not_found(method, path);
}

std::shared_ptr<EventFeed> AgentSessions::feed(const std::string& path) {
  auto p = parts_of(path);
  auto it = p.empty() ? impl_->open.end() : impl_->open.find(p[0]);
  if (it == impl_->open.end())
    throw ApiError(404, "session " + (p.empty() ? std::string() : p[0]) +
                            " has run no turn since the server started: nothing to stream",
                   "invalid_request_error", std::nullopt, "not_open");
  return it->second->feed;
}

}  // namespace ossa::server
