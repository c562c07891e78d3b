// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "runtime/server/http_server.hpp"

#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <stdexcept>

#include "runtime/log.hpp"
#include "runtime/server/agent_sessions.hpp"
#include "runtime/server/chat_completions.hpp"
#include "runtime/server/metrics.hpp"
#include "runtime/server/ossa_routes.hpp"
#include "runtime/server/response_store.hpp"
#include "runtime/server/responses_api.hpp"
#include "runtime/server/web_assets.hpp"

namespace ossa::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

namespace {

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

Response make_response(int status, std::string body, const char* content_type, unsigned version,
                       bool keep_alive) {
  Response res(static_cast<http::status>(status), version);
  res.set(http::field::server, "ossa");
  res.set(http::field::content_type, content_type);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_response(int status, const Json& body, unsigned version, bool keep_alive) {
  return make_response(status, body.dump() + "\n", "application/json", version, keep_alive);
}

// The page's files carry no secret (the API key is typed into the page, never served), so they
// need no key; the headers keep the browser from running anything but these files.
Response asset_response(const WebAsset& a, unsigned version, bool keep_alive, bool head) {
  Response res = make_response(200, std::string(a.body), std::string(a.content_type).c_str(), version,
                               keep_alive);
  res.set("Content-Security-Policy", web_content_security_policy());
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::cache_control, "no-cache");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  if (head) {
    res.body().clear();
    res.content_length(a.body.size());
  }
  return res;
}

http::response<http::empty_body> sse_header(unsigned version) {
  http::response<http::empty_body> res(http::status::ok, version);
  res.set(http::field::server, "ossa");
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-cache");
  res.keep_alive(true);
  res.chunked(true);
  return res;
}

bool key_matches(std::string_view given, std::string_view key) {
  // Constant time in the key's length: the comparison does not stop at the first difference.
  unsigned char diff = given.size() == key.size() ? 0 : 1;
  for (std::size_t i = 0; i < key.size(); ++i)
    diff |= static_cast<unsigned char>(key[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

std::string route_of(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  if (path.rfind("/v1/responses/", 0) == 0) return "/v1/responses/{id}";
  if (path.rfind("/v1/models/", 0) == 0) return "/v1/models/{id}";
  if (path.rfind("/ossa/sessions/", 0) == 0) return "/ossa/sessions/{id}";
  if (path.rfind("/ossa/agents/", 0) == 0)
    return path.find('/', 13) == std::string::npos ? "/ossa/agents/{id}" : "/ossa/agents/{id}/{action}";
  if (find_web_asset(path)) return "/ui";
  for (const char* known : {"/health", "/metrics", "/v1/models", "/v1/chat/completions",
                            "/v1/responses", "/ossa/info", "/ossa/sessions", "/ossa/agents"})
    if (path == known) return path;
  return "other";
}

Json model_object(const std::string& id, std::int64_t created) {
  Json m = Json::object();
  m["id"] = id;
  m["object"] = "model";
  m["created"] = created;
  m["owned_by"] = "ossa";
  return m;
}

Json models_body(const std::string& id, std::int64_t created) {
  Json list = Json::object();
  list["object"] = "list";
  list["data"] = Json::array({model_object(id, created)});
  return list;
}

Json stream_error(const std::string& message) {
  return Json{{"error", {{"message", message}, {"type", "server_error"}, {"param", nullptr},
                         {"code", nullptr}}}};
}

// Server-Sent Events over a chunked HTTP response; the header goes out with the first flush,
// so a request that fails before any output still gets a plain error response.
class SseWriter {
 public:
  SseWriter(beast::tcp_stream& stream, unsigned version, double timeout_s)
      : stream_(stream), version_(version), timeout_(seconds(timeout_s)) {}

  void data(const Json& j) { pending_ += "data: " + j.dump() + "\n\n"; }
  void event(const Json& j) {
    pending_ += "event: " + j.value("type", std::string("message")) + "\ndata: " + j.dump() + "\n\n";
  }
  void raw(const std::string& s) { pending_ += s; }
  bool started() const { return started_; }

  asio::awaitable<bool> flush() {
    if (failed_) co_return false;
    boost::system::error_code ec;
    if (!started_) {
      started_ = true;
      auto res = sse_header(version_);
      http::response_serializer<http::empty_body> sr(res);
      stream_.expires_after(timeout_);
      co_await http::async_write_header(stream_, sr, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) failed_ = true;
    }
    if (!failed_ && !pending_.empty()) {
      std::string out;
      out.swap(pending_);
      auto chunk = http::make_chunk(asio::const_buffer(out.data(), out.size()));
      stream_.expires_after(timeout_);
      co_await asio::async_write(stream_, chunk, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) failed_ = true;
    }
    stream_.expires_never();
    co_return !failed_;
  }

  asio::awaitable<bool> finish() {
    bool ok = co_await flush();
    if (!ok) co_return false;
    boost::system::error_code ec;
    auto last = http::make_chunk_last();
    stream_.expires_after(timeout_);
    co_await asio::async_write(stream_, last, asio::redirect_error(asio::use_awaitable, ec));
    stream_.expires_never();
    co_return !ec;
  }

 private:
  beast::tcp_stream& stream_;
  unsigned version_;
  Clock::duration timeout_;
  std::string pending_;
  bool started_ = false;
  bool failed_ = false;
};

// Turn events to the client: the API's encoder makes the payloads, `Emit` frames each one
// (chat: bare `data:` lines; responses: named events). Without a writer (not streaming) the
// encoder still assembles the whole answer.
template <class Encoder, void (SseWriter::*Emit)(const Json&)>
class EncodingSink final : public TurnSink {
 public:
  EncodingSink(Encoder& enc, SseWriter* w, std::shared_ptr<std::atomic<bool>> cancel)
      : enc_(enc), w_(w), cancel_(std::move(cancel)) {}
  void on_event(const OutputEvent& ev) override {
    auto payloads = enc_.on_event(ev);
    if (w_)
      for (const auto& p : payloads) (w_->*Emit)(p);
  }
  asio::awaitable<bool> flush() override {
    if (!w_) co_return !cancel_->load();
    bool ok = co_await w_->flush();
    co_return ok && !cancel_->load();
  }

 private:
  Encoder& enc_;
  SseWriter* w_;
  std::shared_ptr<std::atomic<bool>> cancel_;
};
using ChatSink = EncodingSink<ChatEncoder, &SseWriter::data>;
using ResponsesSink = EncodingSink<ResponsesEncoder, &SseWriter::event>;

// Watches the connection while a request generates: a client that closes it cancels the turn.
struct Watch {
  std::shared_ptr<std::atomic<bool>> cancel;
  bool finished = false;
};

asio::awaitable<void> watch_disconnect(tcp::socket& sock, std::shared_ptr<Watch> w) {
  boost::system::error_code ec;
  co_await sock.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  if (w->finished) co_return;
  if (ec) {
    w->cancel->store(true);
    co_return;
  }
  char c = 0;
  ssize_t n = ::recv(sock.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  // n > 0: the client sent its next request (pipelining); it is still there.
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) w->cancel->store(true);
}

}  // namespace

void check_options(const ServerOptions& o) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(o.host, ec);
  bool loopback;
  if (!ec) {
    loopback = addr.is_loopback();
  } else if (o.host == "localhost") {
    loopback = true;
  } else {
    throw std::invalid_argument("--host must be an IP address or localhost (got '" + o.host + "')");
  }
  if (!loopback && o.api_key.empty() && !o.insecure_no_auth)
    throw std::invalid_argument(
        "refusing to listen on " + o.host +
        " without an API key: anyone who can reach it could run the model and its tools. Give "
        "--api-key (or OSSA_API_KEY), or --insecure-no-auth if the network is yours alone");
  if (o.slots < 1) throw std::invalid_argument("--max-concurrent must be at least 1");
  if (o.max_queue < 0) throw std::invalid_argument("--max-queue must be 0 or more");
}

namespace {

AgentSessionsDeps agent_deps(const ServerOptions& o, runtime::EngineWorker& worker,
                             SourceFactory& factory, const tools::Registry* registry) {
  AgentSessionsDeps d;
  d.tokenizer = &harmony::Tokenizer::builtin();
  d.registry = registry;
  d.worker = &worker;
  d.factory = &factory;
  d.tool_context = o.tool_context;
  d.config = o.agent_config;
  d.model_id = o.mapping.model_id;
  d.dir = o.transcript_dir.empty() ? o.data_dir / "transcripts" : o.transcript_dir;
  d.max_open = o.slots;
  return d;
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions opt;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  runtime::EngineWorker worker;
  SlotPool pool;
  Metrics metrics;
  ResponseStore store;
  const tools::Registry* registry;
  RunnerDeps deps;
  AgentSessions agents;
  std::int64_t created = unix_now();

  Impl(ServerOptions o, SourceFactory& factory, const tools::Registry* reg)
      : opt(std::move(o)),
        pool(factory, opt.slots, opt.max_queue),
        store(opt.data_dir / "responses"),
        registry(reg),
        agents(io.get_executor(), agent_deps(opt, worker, factory, reg)) {
    deps.tokenizer = &harmony::Tokenizer::builtin();
    deps.worker = &worker;
    deps.pool = &pool;
    deps.registry = registry;
    deps.tool_context = opt.tool_context;
    deps.metrics = &metrics;
    deps.limits = opt.limits;
    pool.on_change = [this] {
      metrics.set_gauges(pool.queued(), pool.running(), pool.kv_tokens(), pool.slots());
    };
    pool.on_change();
    tcp::endpoint ep(opt.host == "localhost" ? asio::ip::make_address("127.0.0.1")
                                             : asio::ip::make_address(opt.host),
                     opt.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    boost::system::error_code ec;
    acceptor.bind(ep, ec);
    if (ec) throw std::runtime_error("cannot listen on " + opt.host + ":" + std::to_string(opt.port) + ": " + ec.message());
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket sock = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;
      }
      sock.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(io, session(std::move(sock)), asio::detached);
    }
  }

  bool authorized(const Request& req) const {
    if (opt.api_key.empty()) return true;
    auto it = req.find(http::field::authorization);
    if (it == req.end()) return false;
    std::string_view v = it->value();
    if (v.size() < 7 || (v.substr(0, 7) != "Bearer " && v.substr(0, 7) != "bearer ")) return false;
    return key_matches(v.substr(7), opt.api_key);
  }

  std::optional<std::vector<harmony::Message>> history(const std::string& id) const {
    return store.conversation(id);
  }

  asio::awaitable<bool> write(beast::tcp_stream& stream, Response res) {
    boost::system::error_code ec;
    stream.expires_after(seconds(opt.idle_timeout_s));
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    stream.expires_never();
    co_return !ec && res.keep_alive();
  }

  // Starts watching the socket for a disconnect while a turn runs.
  std::shared_ptr<Watch> watch(beast::tcp_stream& stream, std::shared_ptr<std::atomic<bool>> cancel) {
    auto w = std::make_shared<Watch>();
    w->cancel = std::move(cancel);
    asio::co_spawn(io, watch_disconnect(stream.socket(), w), asio::detached);
    return w;
  }
  void unwatch(beast::tcp_stream& stream, Watch& w) {
    w.finished = true;
    boost::system::error_code ec;
    stream.socket().cancel(ec);
  }

  asio::awaitable<bool> chat(beast::tcp_stream& stream, const Request& req, Clock::time_point t0,
                             bool& started) {
    Json body = parse_body(req.body());
    GenerationRequest g = parse_chat_request(body, opt.mapping);
    if (pool.full())
      throw ApiError(429, "the server is busy: every generation slot is in use and the queue is full",
                     "rate_limit_error", std::nullopt, "queue_full");
    ChatEncoder enc(make_id("chatcmpl-"), opt.mapping.model_id, unix_now());
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    std::optional<SseWriter> w;
    if (g.stream) {
      w.emplace(stream, req.version(), opt.idle_timeout_s);
      w->data(enc.start());
    }
    ChatSink sink(enc, w ? &*w : nullptr, cancel);
    auto watcher = watch(stream, cancel);
    TurnOutput out;
    std::exception_ptr failure;
    try {
      auto op = run_turn(deps, g, sink, cancel, t0);
      out = co_await std::move(op);
    } catch (...) {
      failure = std::current_exception();
    }
    unwatch(stream, *watcher);
    started = w && w->started();
    if (failure) std::rethrow_exception(failure);
    if (g.stream) {
      if (out.finish == "cancelled") co_return false;
      if (out.finish == "error") w->data(stream_error(out.error));
      std::vector<Json> chunks = enc.finish(out, g.include_usage);
      for (const auto& c : chunks) w->data(c);
      w->raw("data: [DONE]\n\n");
      started = true;
      bool ok = co_await w->finish();
      co_return ok && req.keep_alive();
    }
    if (out.finish == "cancelled") co_return false;
    if (out.finish == "error") throw ApiError(500, out.error, "server_error");
    Response res = json_response(200, enc.completion(out), req.version(), req.keep_alive());
    auto op = write(stream, std::move(res));
    bool keep = co_await std::move(op);
    co_return keep;
  }

  asio::awaitable<bool> responses(beast::tcp_stream& stream, const Request& req,
                                  Clock::time_point t0, bool& started) {
    Json body = parse_body(req.body());
    HistoryLookup lookup = [this](const std::string& id) { return history(id); };
    ResponsesRequest rr = parse_responses_request(body, opt.mapping, lookup);
    if (pool.full())
      throw ApiError(429, "the server is busy: every generation slot is in use and the queue is full",
                     "rate_limit_error", std::nullopt, "queue_full");
    ResponsesEncoder enc(make_id("resp_"), opt.mapping.model_id, unix_now(), rr.echo);
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    std::optional<SseWriter> w;
    if (rr.gen.stream) {
      w.emplace(stream, req.version(), opt.idle_timeout_s);
      std::vector<Json> first = enc.start();
      for (const auto& e : first) w->event(e);
    }
    ResponsesSink sink(enc, w ? &*w : nullptr, cancel);
    auto watcher = watch(stream, cancel);
    TurnOutput out;
    std::exception_ptr failure;
    try {
      auto op = run_turn(deps, rr.gen, sink, cancel, t0);
      out = co_await std::move(op);
    } catch (...) {
      failure = std::current_exception();
    }
    unwatch(stream, *watcher);
    started = w && w->started();
    if (failure) std::rethrow_exception(failure);
    if (out.finish == "cancelled") co_return false;
    auto final_events = enc.finish(out);
    Json response = enc.response(&out);
    if (rr.store && out.finish != "error") {
      std::vector<harmony::Message> conv = rr.history;
      for (const auto& m : out.messages) conv.push_back(m);
      try {
        store.put(enc.id(), response, conv);
      } catch (const std::exception& e) {
        log::warn("response ", enc.id(), " not stored: ", e.what());
      }
    }
    if (rr.gen.stream) {
      for (const auto& e : final_events) w->event(e);
      started = true;
      bool ok = co_await w->finish();
      co_return ok && req.keep_alive();
    }
    if (out.finish == "error") throw ApiError(500, out.error, "server_error");
    Response res = json_response(200, response, req.version(), req.keep_alive());
    auto op = write(stream, std::move(res));
    bool keep = co_await std::move(op);
    co_return keep;
  }

  // `GET /ossa/agents/{id}/events`: the turn's events so far, then each as it comes, until the
  // turn ends.
  asio::awaitable<bool> agent_events(beast::tcp_stream& stream, const Request& req,
                                     const std::string& path, bool& started) {
    std::shared_ptr<EventFeed> feed = agents.feed(path);
    SseWriter w(stream, req.version(), opt.idle_timeout_s);
    std::size_t next = 0;
    for (;;) {
      const bool closed = feed->closed();
      while (next < feed->events().size()) w.event(feed->events()[next++]);
      started = true;
      bool ok = co_await w.flush();
      if (!ok) co_return false;
      if (closed) break;
      auto op = feed->wait();
      co_await std::move(op);
    }
    bool ok = co_await w.finish();
    co_return ok && req.keep_alive();
  }

  // The response to a request that needs no generation (models, metrics, stored responses,
  // health). Throws ApiError.
  Response simple(const Request& req, const std::string& path) {
    const bool keep = req.keep_alive();
    auto need = [&](http::verb v) {
      if (req.method() != v) throw ApiError(405, std::string("use ") + (v == http::verb::get ? "GET" : "POST"));
    };
    if (const WebAsset* asset = find_web_asset(path)) {
      if (req.method() != http::verb::head) need(http::verb::get);
      return asset_response(*asset, req.version(), keep, req.method() == http::verb::head);
    }
    if (AgentSessions::is_route(path))
      return json_response(200, agents.handle(std::string(req.method_string()), path, req.body()),
                           req.version(), keep);
    if (is_ossa_route(path))
      return json_response(200, handle_ossa_route(std::string(req.method_string()), path, store, opt.mapping),
                           req.version(), keep);
    if (path == "/health") {
      need(http::verb::get);
      return json_response(200, Json{{"status", "ok"}}, req.version(), keep);
    }
    if (path == "/metrics") {
      need(http::verb::get);
      timespec cpu{};
      ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);  // this runs on the event-loop thread
      double io_cpu = static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) * 1e-9;
      return make_response(200, metrics.render(io_cpu), "text/plain; version=0.0.4; charset=utf-8",
                           req.version(), keep);
    }
    if (path == "/v1/models") {
      need(http::verb::get);
      return json_response(200, models_body(opt.mapping.model_id, created), req.version(), keep);
    }
    if (path.rfind("/v1/models/", 0) == 0) {
      need(http::verb::get);
      std::string id = path.substr(11);
      if (id != opt.mapping.model_id)
        throw ApiError(404, "The model '" + id + "' does not exist", "invalid_request_error",
                       "model", "model_not_found");
      return json_response(200, model_object(id, created), req.version(), keep);
    }
    if (path.rfind("/v1/responses/", 0) == 0) {
      need(http::verb::get);
      std::string id = path.substr(14);
      auto r = store.response(id);
      if (!r)
        throw ApiError(404, "Response with id '" + id + "' not found.", "invalid_request_error",
                       std::nullopt, "response_not_found");
      return json_response(200, *r, req.version(), keep);
    }
    throw ApiError(404, "no route " + std::string(req.method_string()) + " " + path,
                   "invalid_request_error", std::nullopt, "not_found");
  }

  void check_auth(const Request& req, const std::string& path) const {
    if (path != "/health" && !find_web_asset(path) && !authorized(req))
      throw ApiError(401, "Incorrect API key provided. Pass it as 'Authorization: Bearer KEY'.",
                     "invalid_request_error", std::nullopt, "invalid_api_key");
  }

  // Routes one request; returns whether the connection stays open.
  asio::awaitable<bool> route(beast::tcp_stream& stream, const Request& req, Clock::time_point t0,
                              bool& started) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    check_auth(req, path);
    if (path == "/v1/chat/completions" || path == "/v1/responses") {
      if (req.method() != http::verb::post) throw ApiError(405, "use POST");
      if (path == "/v1/chat/completions") {
        bool keep = co_await chat(stream, req, t0, started);
        co_return keep;
      }
      bool keep = co_await responses(stream, req, t0, started);
      co_return keep;
    }
    if (AgentSessions::is_events_route(std::string(req.method_string()), path)) {
      bool keep = co_await agent_events(stream, req, path, started);
      co_return keep;
    }
    Response res = simple(req, path);
    auto op = write(stream, std::move(res));
    bool keep = co_await std::move(op);
    co_return keep;
  }

  asio::awaitable<void> session(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(opt.max_body_bytes);
      parser.header_limit(64 * 1024);
      boost::system::error_code ec;
      stream.expires_after(seconds(opt.idle_timeout_s));
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      stream.expires_never();
      const auto t0 = Clock::now();
      if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
          ec == asio::error::connection_reset)
        break;
      if (ec) {
        const bool too_big = ec == http::error::body_limit || ec == http::error::header_limit;
        ApiError err = too_big ? ApiError(413, "the request is larger than the server accepts (" +
                                                   std::to_string(opt.max_body_bytes) + " bytes of body)",
                                          "invalid_request_error", std::nullopt, "request_too_large")
                               : ApiError(400, "malformed HTTP request: " + ec.message());
        metrics.request("other", err.status());
        auto res = json_response(err.status(), error_body(err), 11, false);
        auto op = write(stream, std::move(res));
        co_await std::move(op);
        break;
      }
      Request req = parser.release();
      const std::string route_name = route_of(std::string(req.target()));
      bool started = false;
      int status = 200;
      bool keep = false;
      std::optional<ApiError> err;
      try {
        keep = co_await route(stream, req, t0, started);
      } catch (const ApiError& e) {
        err = e;
      } catch (const std::exception& e) {
        log::error("request ", route_name, " failed: ", e.what());
        err = ApiError(500, std::string("internal error: ") + e.what(), "server_error");
      }
      if (err) {
        status = err->status();
        metrics.request(route_name, status);
        if (started) break;  // the stream is under way: all we can do is close it
        auto res = json_response(status, error_body(*err), req.version(), req.keep_alive());
        if (status == 429) res.set(http::field::retry_after, "1");
        if (status == 405)
          res.set(http::field::allow,
                  route_name == "/ossa/sessions/{id}" || route_name == "/ossa/agents/{id}" ? "GET, DELETE"
                  : route_name == "/ossa/agents"                                           ? "GET, POST"
                  : req.method() == http::verb::get                                        ? "POST"
                                                                                           : "GET");
        auto op = write(stream, std::move(res));
        keep = co_await std::move(op);
      } else {
        metrics.request(route_name, status);
      }
      if (!keep) break;
    }
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
};

HttpServer::HttpServer(ServerOptions options, SourceFactory& factory, const tools::Registry* registry) {
  check_options(options);
  impl_ = std::make_unique<Impl>(std::move(options), factory, registry);
}

HttpServer::~HttpServer() = default;

unsigned short HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::run(bool handle_signals) {
  Impl& s = *impl_;
  asio::co_spawn(s.io, s.accept_loop(), asio::detached);
  std::optional<asio::signal_set> signals;
  if (handle_signals) {
    signals.emplace(s.io, SIGINT, SIGTERM);
    signals->async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) stop();
    });
  }
  s.io.run();
}

void HttpServer::stop() {
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->io.stop();
  });
}

}  // namespace ossa::server
