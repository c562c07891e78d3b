#include "tools/mcp/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "tools/mcp/content.hpp"
#include "tools/mcp/stdio_transport.hpp"
#include "tools/net/http_client.hpp"

namespace ossa::mcp {

const char* const kProtocolVersions[2] = {"2025-06-18", "2025-03-26"};

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr int kMaxListPages = 100;

struct RpcError {
  long long code;
  std::string message;
};
struct Timeout {};

std::string seconds(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s << ms.count() / 1000.0;
  return s.str();
}

std::optional<long long> id_of(const Json& id) {
  if (id.is_number_integer()) return id.get<long long>();
  if (id.is_string()) {
    try {
      std::size_t used = 0;
      long long v = std::stoll(id.get<std::string>(), &used);
      if (used == id.get<std::string>().size()) return v;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

}  // namespace

bool tool_enabled(const ServerConfig& cfg, const std::string& name) {
  if (cfg.enabled_tools &&
      std::find(cfg.enabled_tools->begin(), cfg.enabled_tools->end(), name) == cfg.enabled_tools->end())
    return false;
  return std::find(cfg.disabled_tools.begin(), cfg.disabled_tools.end(), name) == cfg.disabled_tools.end();
}

struct Client::Impl : std::enable_shared_from_this<Impl> {
  struct Pending {
    explicit Pending(asio::io_context& io) : wake(io) {}
    asio::steady_timer wake;
    std::optional<Json> response;        // the whole response message
    std::optional<std::string> failure;  // transport died, send failed, cancelled
    bool cancelled = false;
    int progress_count = 0;
    Json last_progress;
  };
  enum class Phase { stopped, starting, ready };

  asio::io_context& io;
  ServerConfig cfg;
  std::filesystem::path workspace;
  SecretLookup secret;
  std::shared_ptr<net::HttpClient> http;
  std::unique_ptr<Transport> transport;
  Phase phase = Phase::stopped;
  std::vector<std::shared_ptr<asio::steady_timer>> start_waiters;
  std::string start_error;
  int generation = 0;
  int starts = 0;
  long long next_id = 1;
  std::map<long long, std::shared_ptr<Pending>> pending;
  std::vector<RemoteTool> tools;
  bool tools_listed = false;
  bool refreshing = false;
  std::string protocol_version;
  Json server_info;
  bool server_lists_change = false;
  std::string last_death;   // why the server stopped last time it died on its own
  std::string restart_note;  // told to the model with the next result after a restart

  Impl(asio::io_context& i, ServerConfig c, std::filesystem::path w, SecretLookup s)
      : io(i), cfg(std::move(c)), workspace(std::move(w)), secret(std::move(s)) {}

  std::string who() const { return "the MCP server `" + cfg.name + "`"; }

  std::string diagnostics() const { return transport ? transport->diagnostics() : std::string(); }

  void fail_all(const std::string& why) {
    auto all = std::move(pending);
    pending.clear();
    for (auto& [id, p] : all) {
      if (!p->response && !p->failure) p->failure = why;
      p->wake.cancel();
    }
  }

  // Drops the transport (later: destroying it inside its own callback is not allowed).
  void drop_transport() {
    if (!transport) return;
    transport->close();
    auto t = std::shared_ptr<Transport>(std::move(transport));
    asio::post(io, [t] {});
  }

  void on_closed(int gen, const std::string& why) {
    if (gen != generation) return;
    bool was_ready = phase == Phase::ready;
    phase = Phase::stopped;
    last_death = why;
    fail_all(who() + " stopped: " + why + ". It is started again on the next call.");
    drop_transport();
    if (was_ready) restart_note = "restart";
  }

  void on_send_failed(int gen, const Json& id, const std::string& why) {
    if (gen != generation) return;
    auto n = id_of(id);
    if (!n) return;
    auto it = pending.find(*n);
    if (it == pending.end()) return;
    it->second->failure = why;
    it->second->wake.cancel();
  }

  void reply(const Json& id, Json result_or_error, bool is_error) {
    if (!transport) return;
    Json m = {{"jsonrpc", "2.0"}, {"id", id}};
    m[is_error ? "error" : "result"] = std::move(result_or_error);
    transport->send(m);
  }

  void on_message(int gen, Json m) {
    if (gen != generation) return;
    auto method = m.find("method");
    if (method != m.end() && method->is_string()) {
      const std::string name = method->get<std::string>();
      if (m.contains("id")) {
        // Requests from the server: ossa offers no roots, sampling or elicitation.
        if (name == "ping")
          reply(m["id"], Json::object(), false);
        else
          reply(m["id"], {{"code", -32601}, {"message", "ossa does not offer " + name}}, true);
        return;
      }
      const Json params = m.contains("params") && m["params"].is_object() ? m["params"] : Json::object();
      if (name == "notifications/progress") {
        if (auto token = params.find("progressToken"); token != params.end())
          if (auto n = id_of(*token))
            if (auto it = pending.find(*n); it != pending.end()) {
              ++it->second->progress_count;
              it->second->last_progress = params;
              it->second->last_progress.erase("progressToken");
            }
      } else if (name == "notifications/tools/list_changed" && phase == Phase::ready) {
        if (!refreshing) asio::co_spawn(io, refresh_tools(shared_from_this()), asio::detached);
      }
      return;  // logging and other notifications are not for the model
    }
    if (auto id = m.find("id"); id != m.end() && (m.contains("result") || m.contains("error"))) {
      auto n = id_of(*id);
      if (!n) return;
      auto it = pending.find(*n);
      if (it == pending.end()) return;  // late answer to a call that timed out or was cancelled
      it->second->response = std::move(m);
      it->second->wake.cancel();
    }
  }

  void send_cancelled(long long id, const std::string& reason) {
    if (transport)
      transport->send({{"jsonrpc", "2.0"},
                       {"method", "notifications/cancelled"},
                       {"params", {{"requestId", id}, {"reason", reason}}}});
  }

  // Sends a request and waits for its answer until `deadline`. Returns the `result`; throws
  // RpcError, Timeout, or ServerError (the transport failed, or the call was cancelled).
  asio::awaitable<Json> request(std::string method, Json params, Clock::time_point deadline,
                                std::shared_ptr<CallCancel> cancel = nullptr,
                                std::shared_ptr<Pending>* out = nullptr) {
    auto self = shared_from_this();
    if (!transport) throw ServerError(who() + " is not running");
    const long long id = next_id++;
    auto p = std::make_shared<Pending>(io);
    if (out) *out = p;
    pending[id] = p;
    if (method == "tools/call") params["_meta"] = {{"progressToken", id}};
    transport->send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
    if (cancel) {
      std::weak_ptr<Impl> weak = self;
      cancel->hook = [weak, id, p] {
        auto me = weak.lock();
        if (!me || p->response || p->failure) return;
        p->cancelled = true;
        p->failure = "cancelled";
        p->wake.cancel();
        me->send_cancelled(id, "the user cancelled the request");
      };
      if (cancel->cancelled) cancel->hook();
    }
    if (!p->response && !p->failure) {
      p->wake.expires_at(deadline);
      boost::system::error_code ec;
      co_await p->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (cancel) cancel->hook = nullptr;
    pending.erase(id);
    if (p->response) {
      const Json& r = *p->response;
      if (auto e = r.find("error"); e != r.end()) {
        RpcError err{-32603, "unknown error"};
        if (e->is_object()) {
          if (e->contains("code") && (*e)["code"].is_number_integer()) err.code = (*e)["code"].get<long long>();
          if (e->contains("message") && (*e)["message"].is_string()) err.message = (*e)["message"].get<std::string>();
        }
        throw err;
      }
      co_return r.contains("result") ? r["result"] : Json();
    }
    if (p->failure) throw ServerError(*p->failure);
    send_cancelled(id, "timed out");
    throw Timeout{};
  }

  static asio::awaitable<void> refresh_tools(std::shared_ptr<Impl> self) {
    self->refreshing = true;
    try {
      co_await self->fetch_tools(Clock::now() + self->cfg.startup_timeout);
    } catch (...) {
      // The old list stays; a call to a tool the server dropped gets the server's own error.
    }
    self->refreshing = false;
  }

  asio::awaitable<void> fetch_tools(Clock::time_point deadline) {
    std::vector<RemoteTool> out;
    std::set<std::string> cursors;
    Json cursor;
    for (int page = 0;; ++page) {
      if (page == kMaxListPages)
        throw ServerError(who() + " returned more than " + std::to_string(kMaxListPages) + " pages of tools");
      Json params = Json::object();
      if (!cursor.is_null()) params["cursor"] = cursor;
      Json result = co_await request("tools/list", params, deadline);
      if (!result.is_object() || !result.contains("tools") || !result["tools"].is_array())
        throw ServerError(who() + " answered tools/list without a `tools` array");
      for (const Json& t : result["tools"]) {
        if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) continue;
        RemoteTool rt;
        rt.name = t["name"].get<std::string>();
        if (t.contains("title") && t["title"].is_string()) rt.title = t["title"].get<std::string>();
        if (t.contains("description") && t["description"].is_string())
          rt.description = t["description"].get<std::string>();
        if (t.contains("inputSchema") && t["inputSchema"].is_object()) rt.input_schema = t["inputSchema"];
        if (t.contains("outputSchema") && t["outputSchema"].is_object()) rt.output_schema = t["outputSchema"];
        if (tool_enabled(cfg, rt.name)) out.push_back(std::move(rt));
      }
      auto next = result.find("nextCursor");
      if (next == result.end() || next->is_null() || (next->is_string() && next->get<std::string>().empty())) break;
      std::string key = next->dump();
      if (!cursors.insert(key).second) throw ServerError(who() + " repeated a tools/list cursor");
      cursor = *next;
    }
    tools = std::move(out);
    tools_listed = true;
  }

  asio::awaitable<void> start_once() {
    auto self = shared_from_this();
    const auto deadline = Clock::now() + cfg.startup_timeout;
    const int gen = ++generation;
    ++starts;
    std::weak_ptr<Impl> weak = self;
    TransportHandlers h;
    h.message = [weak, gen](Json m) {
      if (auto me = weak.lock()) me->on_message(gen, std::move(m));
    };
    h.send_failed = [weak, gen](const Json& id, std::string why) {
      if (auto me = weak.lock()) me->on_send_failed(gen, id, why);
    };
    h.closed = [weak, gen](std::string why) {
      if (auto me = weak.lock()) me->on_closed(gen, why);
    };
    if (cfg.is_http()) {
      if (!http) http = make_server_http_client(cfg);
      transport = std::make_unique<HttpTransport>(io, cfg, http, secret);
    } else {
      transport = std::make_unique<StdioTransport>(io, cfg, workspace);
    }
    try {
      transport->start(std::move(h));
    } catch (const std::exception& e) {
      transport.reset();
      throw ServerError(e.what());
    }
    Json init = {{"protocolVersion", kProtocolVersions[0]},
                 {"capabilities", Json::object()},
                 {"clientInfo", {{"name", "ossa"}, {"version", "0.1"}}}};
    Json result = co_await request("initialize", init, deadline);
    std::string version = result.is_object() && result.contains("protocolVersion") &&
                                  result["protocolVersion"].is_string()
                              ? result["protocolVersion"].get<std::string>()
                              : std::string();
    if (version != kProtocolVersions[0] && version != kProtocolVersions[1])
      throw ServerError(who() + " speaks MCP protocol version `" + version + "`; ossa speaks " +
                        kProtocolVersions[0] + " and " + kProtocolVersions[1]);
    protocol_version = version;
    server_info = result.contains("serverInfo") ? result["serverInfo"] : Json();
    server_lists_change = result.contains("capabilities") && result["capabilities"].is_object() &&
                          result["capabilities"].contains("tools");
    transport->set_protocol_version(version);
    transport->send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    co_await fetch_tools(deadline);
  }

  asio::awaitable<void> ensure_started() {
    auto self = shared_from_this();
    if (phase == Phase::ready) co_return;
    if (phase == Phase::starting) {
      auto t = std::make_shared<asio::steady_timer>(io, Clock::time_point::max());
      start_waiters.push_back(t);
      boost::system::error_code ec;
      co_await t->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (phase != Phase::ready) throw ServerError(start_error);
      co_return;
    }
    phase = Phase::starting;
    std::string error;
    try {
      co_await start_once();
    } catch (const ServerError& e) {
      error = e.what();
    } catch (const Timeout&) {
      error = who() + " did not finish starting within " + seconds(cfg.startup_timeout) +
              " s (startup_timeout)";
    } catch (const RpcError& e) {
      error = who() + " refused to initialize: " + e.message + " (code " + std::to_string(e.code) + ")";
    }
    if (error.empty() && phase == Phase::starting) {
      phase = Phase::ready;
      if (!restart_note.empty())
        restart_note = "Note: " + who() + " had stopped (" + last_death +
                       ") and was restarted for this call; anything it kept from earlier calls is gone.";
    } else {
      if (error.empty()) error = who() + " stopped while starting: " + last_death;
      std::string d = diagnostics();
      if (!d.empty() && error.find(d) == std::string::npos) error += "; " + d;
      start_error = error;
      fail_all(error);
      drop_transport();
      phase = Phase::stopped;
    }
    for (auto& w : start_waiters) w->cancel();
    start_waiters.clear();
    if (!error.empty()) throw ServerError(error);
  }
};

Client::Client(asio::io_context& io, ServerConfig cfg, std::filesystem::path workspace, SecretLookup secret)
    : impl_(std::make_shared<Impl>(io, cfg, std::move(workspace), std::move(secret))), cfg_(std::move(cfg)) {}

Client::~Client() { stop(); }

asio::awaitable<std::vector<RemoteTool>> Client::list_tools() {
  auto impl = impl_;
  co_await impl->ensure_started();
  co_return impl->tools;
}

asio::awaitable<tools::ToolResult> Client::call_tool(std::string name, Json arguments,
                                                     std::chrono::milliseconds timeout,
                                                     std::size_t max_bytes,
                                                     std::shared_ptr<CallCancel> cancel) {
  auto impl = impl_;
  Json meta = {{"mcp_server", cfg_.name}, {"mcp_tool", name}};
  try {
    co_await impl->ensure_started();
  } catch (const ServerError& e) {
    co_return tools::ToolResult::failure(std::string(e.what()) + ". The tool `" + name +
                                             "` did not run.", meta);
  }
  std::string note = std::move(impl->restart_note);
  impl->restart_note.clear();
  if (impl->tools_listed &&
      std::none_of(impl->tools.begin(), impl->tools.end(), [&](const RemoteTool& t) { return t.name == name; })) {
    co_return tools::ToolResult::failure(impl->who() + " does not offer the tool `" + name +
                                             "` (any more); its tools are listed in the developer message as they were at the start.",
                                         meta);
  }
  if (cancel && cancel->cancelled) co_return tools::ToolResult::failure("cancelled", meta);
  std::shared_ptr<Impl::Pending> p;
  std::string error;
  tools::ToolResult r;
  const auto t0 = Clock::now();
  try {
    Json params = {{"name", name}, {"arguments", arguments.is_null() ? Json::object() : arguments}};
    Json result = co_await impl->request("tools/call", std::move(params), t0 + timeout, cancel, &p);
    if (!result.is_object()) {
      error = impl->who() + " answered the call with a malformed result (not an object)";
    } else {
      r = render_call_result(result, max_bytes);
    }
  } catch (const Timeout&) {
    error = impl->who() + " did not answer the call to `" + name + "` within " + seconds(timeout) +
            " s; the call was cancelled";
    std::string d = impl->diagnostics();
    if (!d.empty()) error += " (" + d + ")";
  } catch (const RpcError& e) {
    error = impl->who() + " returned an error for `" + name + "`: " + e.message + " (code " +
            std::to_string(e.code) + ")";
  } catch (const ServerError& e) {
    error = e.what();
    if (p && p->cancelled) error = "the call to `" + name + "` was cancelled";
  }
  if (!error.empty()) r = tools::ToolResult::failure(error + ".");
  for (auto& [k, v] : meta.items()) r.metadata[k] = v;
  if (p && p->progress_count) {
    r.metadata["progress_notifications"] = p->progress_count;
    r.metadata["last_progress"] = p->last_progress;
  }
  if (!note.empty()) {
    r.text = note + "\n" + r.text;
    r.metadata["restarted"] = true;
  }
  co_return r;
}

void Client::stop() {
  Impl& d = *impl_;
  ++d.generation;
  d.fail_all(d.who() + " was stopped");
  if (d.transport) {
    d.transport->close();
    d.transport.reset();
  }
  d.phase = Impl::Phase::stopped;
}

bool Client::running() const { return impl_->phase == Impl::Phase::ready; }
int Client::starts() const { return impl_->starts; }
std::string Client::protocol_version() const { return impl_->protocol_version; }
Json Client::server_info() const { return impl_->server_info; }

}  // namespace ossa::mcp
