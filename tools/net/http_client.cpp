#include "tools/net/http_client.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tools/net/content_decoding.hpp"
#include "tools/net/url.hpp"

namespace ossa::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// An error that ends the request; thrown inside the coroutine, caught once at its top.
struct Failure {
  HttpErrorKind kind;
  std::string message;
};

[[noreturn]] void fail(HttpErrorKind kind, std::string message) {
  throw Failure{kind, std::move(message)};
}

std::string bracket(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string_view to_string(HttpErrorKind kind) {
  switch (kind) {
    case HttpErrorKind::invalid_url: return "invalid_url";
    case HttpErrorKind::policy: return "policy";
    case HttpErrorKind::resolve: return "resolve";
    case HttpErrorKind::connect: return "connect";
    case HttpErrorKind::tls: return "tls";
    case HttpErrorKind::timeout: return "timeout";
    case HttpErrorKind::too_large: return "too_large";
    case HttpErrorKind::too_many_redirects: return "too_many_redirects";
    case HttpErrorKind::protocol: return "protocol";
    case HttpErrorKind::cancelled: return "cancelled";
  }
  return "unknown";
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

ProxySettings ProxySettings::from_environment() {
  auto env = [](const char* a, const char* b) {
    const char* v = std::getenv(a);
    if (!v || !*v) v = std::getenv(b);
    return std::string(v ? v : "");
  };
  ProxySettings p;
  p.http_proxy = env("http_proxy", "HTTP_PROXY");
  p.https_proxy = env("https_proxy", "HTTPS_PROXY");
  p.no_proxy = env("no_proxy", "NO_PROXY");
  return p;
}

std::string ProxySettings::proxy_for(std::string_view url_scheme, std::string_view host) const {
  const std::string& proxy = url_scheme == "https" ? https_proxy : http_proxy;
  if (proxy.empty()) return {};
  std::string h = lower(host);
  std::string_view list = no_proxy;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string entry = lower(trim(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") return {};
    if (auto colon = entry.rfind(':'); colon != std::string::npos && entry.find(':') == colon)
      entry = entry.substr(0, colon);  // "host:port" entries: match on the host
    if (!entry.empty() && entry.front() == '.') entry = entry.substr(1);
    if (h == entry || (h.size() > entry.size() && h.ends_with("." + entry))) return {};
  }
  return proxy;
}

// ---------------------------------------------------------------------------------------------

struct HttpCancel::State {
  std::mutex mutex;
  bool cancelled = false;
  std::function<void()> on_cancel;  // set while the request runs; posts to the I/O thread
};

void HttpCancel::cancel() const {
  if (!state_) return;
  std::function<void()> f;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->cancelled) return;
    state_->cancelled = true;
    f = state_->on_cancel;
  }
  if (f) f();
}

namespace {

// One connection (plain or TLS, possibly tunnelled through a proxy). Lives on the I/O thread.
struct Conn {
  explicit Conn(asio::io_context& io) : tcp_stream(io) {}
  beast::tcp_stream tcp_stream;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream&>> tls;
  beast::flat_buffer buffer;
  std::string remote;  // connected IP ("" through a proxy)
  Clock::time_point idle_since;

  void close() {
    beast::error_code ec;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_stream.socket().close(ec);
  }
};

// What one request needs while it runs, shared with its cancel hook.
struct Job {
  HttpRequest request;
  RequestScope scope;
  std::shared_ptr<HttpCancel::State> cancel;
  Clock::time_point deadline;
  Conn* conn = nullptr;         // the connection in use, closed on cancel
  tcp::resolver* resolver = nullptr;
  bool cancelled = false;       // seen on the I/O thread
};

}  // namespace

struct HttpClient::Impl {
  explicit Impl(HttpClientOptions o)
      : options(std::move(o)), tls_ctx(ssl::context::tls_client), guard(io.get_executor()) {
    tls_ctx.set_verify_mode(ssl::verify_peer);
    tls_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                        ssl::context::no_tlsv1_1);
    if (options.use_system_ca) {
      beast::error_code ec;
      tls_ctx.set_default_verify_paths(ec);
    }
    if (!options.extra_ca_pem.empty()) {
      beast::error_code ec;
      tls_ctx.add_certificate_authority(asio::buffer(options.extra_ca_pem), ec);
      if (ec) throw std::invalid_argument("HttpClient: extra CA PEM unusable: " + ec.message());
    }
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    asio::post(io, [this] {
      for (Job* j : jobs) cancel_on_io(*j);
      std::lock_guard lock(pool_mutex);
      for (auto& [key, conns] : pool)
        for (auto& c : conns) c->close();
      pool.clear();
    });
    guard.reset();
    thread.join();
  }

  void cancel_on_io(Job& job) {
    job.cancelled = true;
    if (job.conn) job.conn->close();
    if (job.resolver) job.resolver->cancel();
  }

  HttpClientOptions options;
  asio::io_context io;
  ssl::context tls_ctx;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::thread thread;
  std::set<Job*> jobs;  // I/O thread only

  mutable std::mutex pool_mutex;
  std::map<std::string, std::vector<std::unique_ptr<Conn>>> pool;

  std::unique_ptr<Conn> take_pooled(const std::string& key) {
    std::lock_guard lock(pool_mutex);
    auto it = pool.find(key);
    if (it == pool.end()) return nullptr;
    auto& v = it->second;
    while (!v.empty()) {
      std::unique_ptr<Conn> c = std::move(v.back());
      v.pop_back();
      if (Clock::now() - c->idle_since < options.idle_connection_timeout &&
          c->tcp_stream.socket().is_open())
        return c;
      c->close();
    }
    return nullptr;
  }

  void give_back(const std::string& key, std::unique_ptr<Conn> c) {
    c->idle_since = Clock::now();
    std::lock_guard lock(pool_mutex);
    auto& v = pool[key];
    if (v.size() >= options.max_idle_connections_per_host) {
      c->close();
      return;
    }
    v.push_back(std::move(c));
  }

  // ---- the request, as a coroutine on the I/O thread ----

  void check_cancel(const Job& job) const {
    if (job.cancelled) fail(HttpErrorKind::cancelled, "request cancelled");
  }

  [[noreturn]] void fail_io(const Job& job, beast::error_code ec, const std::string& what) const {
    check_cancel(job);
    if (ec == beast::error::timeout || Clock::now() >= job.deadline)
      fail(HttpErrorKind::timeout, what + ": timed out");
    fail(HttpErrorKind::connect, what + ": " + ec.message());
  }

  void set_expiry(Conn& c, const Job& job, std::optional<Clock::time_point> sooner = {}) {
    Clock::time_point t = job.deadline;
    if (sooner && *sooner < t) t = *sooner;
    c.tcp_stream.expires_at(t);
  }

  asio::awaitable<std::vector<tcp::endpoint>> resolve(Job& job, const std::string& host,
                                                      std::uint16_t port) {
    beast::error_code ec;
    auto literal = asio::ip::make_address(host, ec);
    if (!ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(literal, port)};
    tcp::resolver resolver(io);
    job.resolver = &resolver;
    asio::steady_timer timer(io);
    timer.expires_at(job.deadline);
    bool timed_out = false;
    timer.async_wait([&](beast::error_code tec) {
      if (!tec) {
        timed_out = true;
        resolver.cancel();
      }
    });
    auto results = co_await resolver.async_resolve(host, std::to_string(port),
                                                   tcp::resolver::numeric_service,
                                                   asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    job.resolver = nullptr;
    check_cancel(job);
    if (timed_out) fail(HttpErrorKind::timeout, "resolving " + host + ": timed out");
    if (ec) fail(HttpErrorKind::resolve, "cannot resolve " + host + ": " + ec.message());
    std::vector<tcp::endpoint> out;
    for (const auto& r : results) out.push_back(r.endpoint());
    if (out.empty()) fail(HttpErrorKind::resolve, "cannot resolve " + host + ": no addresses");
    co_return out;
  }

  asio::awaitable<void> connect_any(Job& job, Conn& c, const std::vector<tcp::endpoint>& eps,
                                    const std::string& what) {
    auto connect_deadline = Clock::now() + options.connect_timeout;
    beast::error_code last;
    for (const auto& ep : eps) {
      check_cancel(job);
      if (Clock::now() >= connect_deadline || Clock::now() >= job.deadline) break;
      set_expiry(c, job, connect_deadline);
      beast::error_code ec;
      co_await c.tcp_stream.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        c.remote = ep.address().to_string();
        co_return;
      }
      last = ec;
      c.tcp_stream.socket().close(ec);
    }
    check_cancel(job);
    if (last == beast::error::timeout || Clock::now() >= connect_deadline ||
        Clock::now() >= job.deadline)
      fail(HttpErrorKind::timeout, "connecting to " + what + ": timed out");
    fail(HttpErrorKind::connect,
         "cannot connect to " + what + (last ? ": " + last.message() : std::string()));
  }

  template <class Stream, class Message>
  asio::awaitable<void> write(Job& job, Stream& s, Message& m) {
    beast::error_code ec;
    co_await http::async_write(s, m, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) fail_io(job, ec, "sending the request");
  }

  // A fresh connection to the checked addresses of the target (or the proxy), TLS set up.
  asio::awaitable<std::unique_ptr<Conn>> open(Job& job, const Url& url,
                                              const std::vector<tcp::endpoint>& target_eps,
                                              const std::string& proxy) {
    auto c = std::make_unique<Conn>(io);
    job.conn = c.get();
    if (proxy.empty()) {
      co_await connect_any(job, *c, target_eps, url.authority());
    } else {
      std::string perr;
      auto purl = parse_url(proxy.find("://") == std::string::npos ? "http://" + proxy : proxy,
                            &perr);
      if (!purl || purl->scheme != "http")
        fail(HttpErrorKind::invalid_url, "unusable proxy `" + proxy + "` (want http://host:port)");
      auto peps = co_await resolve(job, purl->host, purl->port);
      co_await connect_any(job, *c, peps, "proxy " + purl->authority());
      c->remote.clear();
      if (url.scheme == "https") {
        // Tunnel to the checked address, not the name: the proxy cannot re-resolve it.
        std::string where = bracket(target_eps.front().address().to_string()) + ":" +
                            std::to_string(url.port);
        http::request<http::empty_body> req{http::verb::connect, where, 11};
        req.set(http::field::host, where);
        req.set(http::field::user_agent, options.user_agent);
        set_expiry(*c, job);
        co_await write(job, c->tcp_stream, req);
        http::response_parser<http::empty_body> p;
        p.skip(true);  // a CONNECT reply has no body
        beast::error_code ec;
        co_await http::async_read_header(c->tcp_stream, c->buffer, p,
                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec) fail_io(job, ec, "proxy CONNECT");
        if (p.get().result_int() != 200)
          fail(HttpErrorKind::connect, "proxy refused CONNECT to " + url.authority() + ": " +
                                           std::to_string(p.get().result_int()));
      }
    }
    if (url.scheme == "https") {
      c->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream&>>(c->tcp_stream, tls_ctx);
      beast::error_code ec;
      asio::ip::make_address(url.host, ec);
      if (ec && !SSL_set_tlsext_host_name(c->tls->native_handle(), url.host.c_str()))
        fail(HttpErrorKind::tls, "cannot set TLS server name");
      c->tls->set_verify_callback(ssl::host_name_verification(url.host));
      set_expiry(*c, job);
      beast::error_code hec;
      co_await c->tls->async_handshake(ssl::stream_base::client,
                                       asio::redirect_error(asio::use_awaitable, hec));
      if (hec) {
        check_cancel(job);
        if (hec == beast::error::timeout) fail(HttpErrorKind::timeout, "TLS handshake: timed out");
        fail(HttpErrorKind::tls, "TLS handshake with " + url.host + " failed: " + hec.message());
      }
    }
    co_return c;
  }

  struct Exchange {
    http::response<http::string_body> response;
    bool failed_before_response = false;  // stale pooled connection: retry once
    bool too_large = false;
  };

  template <class Stream>
  asio::awaitable<Exchange> exchange(Job& job, Conn& c, Stream& s,
                                     http::request<http::string_body>& req, bool head) {
    Exchange ex;
    set_expiry(c, job);
    beast::error_code ec;
    co_await http::async_write(s, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      check_cancel(job);
      if (ec == beast::error::timeout) fail(HttpErrorKind::timeout, "sending the request: timed out");
      ex.failed_before_response = true;
      co_return ex;
    }
    http::response_parser<http::string_body> p;
    p.header_limit(64 * 1024);
    p.body_limit(options.max_body_bytes);
    if (head) p.skip(true);
    co_await http::async_read(s, c.buffer, p, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      check_cancel(job);
      if (ec == http::error::body_limit) {
        ex.too_large = true;
        co_return ex;
      }
      if (ec == beast::error::timeout || Clock::now() >= job.deadline)
        fail(HttpErrorKind::timeout, "reading the response: timed out");
      if ((ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset) &&
          !p.got_some()) {
        ex.failed_before_response = true;
        co_return ex;
      }
      fail(HttpErrorKind::protocol, "reading the response: " + ec.message());
    }
    ex.response = p.release();
    co_return ex;
  }

  asio::awaitable<HttpResponse> run(Job& job) {
    HttpRequest req = job.request;
    HttpResponse out;
    for (int hop = 0;; ++hop) {
      std::string err;
      auto url = parse_url(req.url, &err);
      if (!url) fail(HttpErrorKind::invalid_url, "invalid URL `" + req.url + "`: " + err);
      if (url->scheme != "http" && url->scheme != "https")
        fail(HttpErrorKind::invalid_url, "unsupported URL scheme `" + url->scheme + "`");
      const NetworkPolicy& policy = job.scope.policy ? *job.scope.policy : options.policy;
      auto verdict = policy.check_target(url->scheme, url->host, url->port);
      if (!verdict) fail(HttpErrorKind::policy, verdict.message);

      // Resolve once and check every address; connect only to these.
      auto eps = co_await resolve(job, url->host, url->port);
      for (const auto& ep : eps) {
        auto a = policy.check_address(url->scheme, url->host, url->port,
                                              ep.address().to_string());
        if (!a) fail(HttpErrorKind::policy, a.message);
      }
      std::string proxy = options.proxy.proxy_for(url->scheme, url->host);
      std::string key = url->scheme + "|" + url->host + "|" + std::to_string(url->port) + "|" +
                        proxy + "|";
      for (const auto& ep : eps) key += ep.address().to_string() + ",";

      auto verb = http::string_to_verb(req.method);
      if (verb == http::verb::unknown)
        fail(HttpErrorKind::invalid_url, "unsupported HTTP method `" + req.method + "`");
      bool absolute_form = !proxy.empty() && url->scheme == "http";
      std::string target = url->target();
      if (absolute_form) {
        target = "http://" + bracket(eps.front().address().to_string()) + ":" +
                 std::to_string(url->port) + target;
      }
      http::request<http::string_body> hreq{verb, target, 11};
      hreq.set(http::field::host, url->authority());
      hreq.set(http::field::user_agent, options.user_agent);
      hreq.set(http::field::accept_encoding, "gzip, deflate");
      for (const auto& [k, v] : req.headers) {
        for (char ch : k + v)
          if (ch == '\r' || ch == '\n' || ch == '\0')
            fail(HttpErrorKind::invalid_url, "header `" + k + "` contains a line break");
        if (iequals(k, "host") || iequals(k, "content-length") ||
            iequals(k, "transfer-encoding") || iequals(k, "connection"))
          continue;
        hreq.set(k, v);
      }
      if (!req.body.empty() || verb == http::verb::post || verb == http::verb::put ||
          verb == http::verb::patch) {
        hreq.body() = req.body;
        hreq.prepare_payload();
      }
      hreq.keep_alive(true);
      bool head = verb == http::verb::head;

      Exchange ex;
      std::unique_ptr<Conn> conn;
      for (int attempt = 0; attempt < 2; ++attempt) {
        conn = attempt == 0 ? take_pooled(key) : nullptr;
        bool reused = conn != nullptr;
        if (!conn) conn = co_await open(job, *url, eps, proxy);
        job.conn = conn.get();
        if (conn->tls)
          ex = co_await exchange(job, *conn, *conn->tls, hreq, head);
        else
          ex = co_await exchange(job, *conn, conn->tcp_stream, hreq, head);
        job.conn = nullptr;
        out.reused_connection = reused;
        if (!ex.failed_before_response) break;
        conn->close();
        if (!reused) fail(HttpErrorKind::protocol, "the server closed the connection without a response");
      }
      if (ex.too_large) {
        conn->close();
        fail(HttpErrorKind::too_large, "response body exceeds the limit of " +
                                           std::to_string(options.max_body_bytes) + " bytes");
      }
      auto& res = ex.response;
      out.remote_address = proxy.empty() ? conn->remote : std::string();
      if (res.keep_alive() && !res.need_eof())
        give_back(key, std::move(conn));
      else
        conn->close();

      int status = res.result_int();
      bool redirect = status == 301 || status == 302 || status == 303 || status == 307 ||
                      status == 308;
      std::string location(res[http::field::location]);
      if (redirect && !location.empty()) {
        if (hop >= options.max_redirects)
          fail(HttpErrorKind::too_many_redirects,
               "more than " + std::to_string(options.max_redirects) + " redirects (last to " +
                   location + ")");
        std::string next = resolve_url(url->str(), location);
        if (auto h = next.find('#'); h != std::string::npos) next.resize(h);
        if (next.empty()) fail(HttpErrorKind::protocol, "bad redirect Location `" + location + "`");
        auto nurl = parse_url(next);
        if (!nurl) fail(HttpErrorKind::protocol, "bad redirect Location `" + location + "`");
        if (status == 303 || ((status == 301 || status == 302) && req.method == "POST")) {
          if (req.method != "HEAD") req.method = "GET";
          req.body.clear();
          std::erase_if(req.headers, [](const auto& h) { return iequals(h.first, "content-type"); });
        }
        bool same_origin = nurl->scheme == url->scheme && nurl->host == url->host &&
                           nurl->port == url->port;
        if (!same_origin) {
          std::erase_if(req.headers, [&](const auto& h) {
            if (iequals(h.first, "authorization") || iequals(h.first, "cookie") ||
                iequals(h.first, "proxy-authorization"))
              return true;
            for (const auto& s : req.sensitive_headers)
              if (iequals(h.first, s)) return true;
            return false;
          });
        }
        req.url = next;
        out.redirects.push_back(next);
        continue;
      }

      out.status = status;
      out.reason = std::string(res.reason());
      out.final_url = url->str();
      std::string encoding = lower(trim(res[http::field::content_encoding]));
      out.body = std::move(res.body());
      bool decoded = false;
      if (!encoding.empty() && encoding != "identity" && !head) {
        // Decode in reverse order of application ("gzip, deflate" = deflate last).
        std::vector<std::string> codings;
        std::string_view rest = encoding;
        while (!rest.empty()) {
          auto comma = rest.find(',');
          codings.push_back(trim(rest.substr(0, comma)));
          rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
        bool known = std::all_of(codings.begin(), codings.end(), [](const std::string& c) {
          return c == "gzip" || c == "x-gzip" || c == "deflate" || c == "identity";
        });
        if (known) {
          for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
            if (*it == "identity") continue;
            std::string plain;
            auto st = decode_content(*it, out.body, options.max_body_bytes, &plain);
            if (st == DecodeStatus::too_large)
              fail(HttpErrorKind::too_large, "decoded response body exceeds the limit of " +
                                                 std::to_string(options.max_body_bytes) + " bytes");
            if (st == DecodeStatus::corrupt)
              fail(HttpErrorKind::protocol, "corrupt " + *it + " response body");
            out.body = std::move(plain);
          }
          decoded = true;
        }
      }
      for (const auto& f : res) {
        if (decoded && (f.name() == http::field::content_encoding ||
                        f.name() == http::field::content_length))
          continue;
        out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      }
      co_return out;
    }
  }
};

namespace {

// A free coroutine with by-value parameters: a lambda coroutine would read its captures from a
// closure object that is gone once the coroutine first suspends.
asio::awaitable<HttpResult> run_job(HttpClient::Impl* impl, std::shared_ptr<Job> job) {
  HttpResult r;
  try {
    impl->check_cancel(*job);
    r.response = co_await impl->run(*job);
  } catch (const Failure& f) {
    r.error = HttpError{f.kind, f.message};
  } catch (const std::exception& e) {
    r.error = HttpError{HttpErrorKind::protocol, e.what()};
  }
  co_return r;
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

const HttpClientOptions& HttpClient::options() const { return impl_->options; }

std::size_t HttpClient::idle_connections() const {
  std::lock_guard lock(impl_->pool_mutex);
  std::size_t n = 0;
  for (const auto& [k, v] : impl_->pool) n += v.size();
  return n;
}

HttpCancel HttpClient::async_request(HttpRequest request, Handler done, RequestScope scope) {
  auto state = std::make_shared<HttpCancel::State>();
  HttpCancel handle(state);
  Impl* impl = impl_.get();
  auto job = std::make_shared<Job>();
  job->request = std::move(request);
  job->scope = std::move(scope);
  job->cancel = state;
  {
    std::lock_guard lock(state->mutex);
    state->on_cancel = [impl, weak = std::weak_ptr<Job>(job)] {
      asio::post(impl->io, [impl, weak] {
        if (auto j = weak.lock()) impl->cancel_on_io(*j);
      });
    };
  }
  asio::post(impl->io, [impl, job, done = std::move(done)]() mutable {
    {
      std::lock_guard lock(job->cancel->mutex);
      job->cancelled = job->cancel->cancelled;
    }
    job->deadline =
        Clock::now() + job->scope.total_timeout.value_or(impl->options.total_timeout);
    impl->jobs.insert(job.get());
    asio::co_spawn(impl->io, run_job(impl, job),
                   [impl, job, done = std::move(done)](std::exception_ptr ep, HttpResult r) {
                     impl->jobs.erase(job.get());
                     {
                       std::lock_guard lock(job->cancel->mutex);
                       job->cancel->on_cancel = nullptr;
                     }
                     if (ep) r = HttpResult{std::nullopt, HttpError{HttpErrorKind::protocol,
                                                                    "internal error"}};
                     if (done) done(std::move(r));
                   });
  });
  return handle;
}

HttpResult HttpClient::request(HttpRequest request, HttpCancel* cancel, RequestScope scope) {
  if (impl_->io.get_executor().running_in_this_thread())
    return HttpResult{std::nullopt,
                      HttpError{HttpErrorKind::protocol,
                                "HttpClient::request called on the client's own I/O thread"}};
  std::promise<HttpResult> promise;
  auto future = promise.get_future();
  HttpCancel h = async_request(
      std::move(request), [&promise](HttpResult r) { promise.set_value(std::move(r)); },
      std::move(scope));
  if (cancel) *cancel = h;
  return future.get();
}

}  // namespace ossa::net
