#include "tools/mcp/http_transport.hpp"

#include <boost/asio/post.hpp>
#include <stdexcept>

#include "tools/custom/template.hpp"
#include "tools/net/http_client.hpp"
#include "tools/net/url.hpp"

namespace ossa::mcp {
namespace {

namespace asio = boost::asio;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::shared_ptr<net::HttpClient> make_server_http_client(const ServerConfig& cfg) {
  auto url = net::parse_url(cfg.url);
  if (!url || (url->scheme != "http" && url->scheme != "https"))
    throw std::invalid_argument("MCP server `" + cfg.name + "`: url `" + cfg.url +
                                "` is not an http:// or https:// URL");
  net::HttpClientOptions o;
  std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  // The configured endpoint is the one destination: an exact-host rule, so a local server
  // (localhost, a private address) works, and a redirect anywhere else is refused.
  o.policy = net::NetworkPolicy({url->scheme + "://" + host + ":" + std::to_string(url->port)});
  o.max_body_bytes = cfg.max_message_bytes;
  o.total_timeout = std::max(cfg.tool_timeout, cfg.startup_timeout) + std::chrono::seconds(5);
  o.proxy = net::ProxySettings::from_environment();
  return std::make_shared<net::HttpClient>(std::move(o));
}

std::vector<Json> parse_http_messages(std::string_view content_type, std::string_view body,
                                      std::size_t* skipped) {
  std::vector<Json> out;
  auto add = [&](std::string_view text) {
    Json j = Json::parse(text, nullptr, false);
    if (j.is_object()) {
      out.push_back(std::move(j));
    } else if (j.is_array()) {
      for (auto& m : j)
        if (m.is_object()) out.push_back(std::move(m));
    } else if (skipped) {
      ++*skipped;
    }
  };
  if (lower(std::string(content_type)).find("text/event-stream") == std::string::npos) {
    if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) add(body);
    return out;
  }
  // Server-sent events: lines "field: value"; an empty line ends an event; data lines join.
  std::string data;
  bool has_data = false;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == std::string_view::npos ? body.size() - pos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (has_data) add(data);
      data.clear();
      has_data = false;
    } else if (line.substr(0, 5) == "data:") {
      std::string_view v = line.substr(5);
      if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      if (has_data) data += '\n';
      data += v;
      has_data = true;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (has_data) add(data);
  return out;
}

struct HttpTransport::State : std::enable_shared_from_this<State> {
  asio::io_context& io;
  ServerConfig cfg;
  std::shared_ptr<net::HttpClient> client;
  SecretLookup secret;
  TransportHandlers handlers;
  bool closed = false;
  std::string session_id;
  std::string protocol_version;
  std::size_t skipped = 0;
  std::string last_error;

  State(asio::io_context& i, ServerConfig c, std::shared_ptr<net::HttpClient> h, SecretLookup s)
      : io(i), cfg(std::move(c)), client(std::move(h)), secret(std::move(s)) {}

  // Our headers plus the configured ones with ${NAME} secrets filled in; an error names a
  // missing secret (never its value).
  std::optional<std::string> headers(net::HttpHeaders& out, std::vector<std::string>& sensitive) {
    out.emplace_back("Content-Type", "application/json");
    out.emplace_back("Accept", "application/json, text/event-stream");
    if (!session_id.empty()) out.emplace_back("Mcp-Session-Id", session_id);
    if (!protocol_version.empty()) out.emplace_back("MCP-Protocol-Version", protocol_version);
    for (const auto& [name, value] : cfg.headers) {
      // A secret is sent only where the configuration binds it: checked against this URL.
      std::string why;
      auto url = net::parse_url(cfg.url);
      auto e = tools::custom::expand_secrets(value, [&](std::string_view n) -> std::optional<std::string> {
        if (!secret || !url) {
          why = "no secret `" + std::string(n) + "` is declared ([secrets." + std::string(n) + "])";
          return std::nullopt;
        }
        auto v = secret->value_for(n, url->scheme, url->host, url->port, &why);
        return v;
      });
      if (!e.missing.empty())
        return "header " + name + ": " + (why.empty() ? "the secret ${" + e.missing.front() + "} is not available" : why);
      if (e.text != value) sensitive.push_back(name);
      out.emplace_back(name, e.text);
    }
    return std::nullopt;
  }

  void answered(const Json& id, bool is_initialize, net::HttpResult r) {
    if (closed) return;
    if (!r) {
      last_error = r.error->message;
      if (!id.is_null() && handlers.send_failed) handlers.send_failed(id, "HTTP request failed: " + r.error->message);
      return;
    }
    const net::HttpResponse& resp = *r.response;
    if (is_initialize) {
      std::string sid = resp.header("Mcp-Session-Id");
      if (!sid.empty()) session_id = sid;
    }
    if (resp.status == 404 && !session_id.empty() && !is_initialize) {
      // The server forgot our session (it restarted): start over on the next call.
      auto h = handlers;
      closed = true;
      handlers = {};
      if (h.closed) h.closed("the server ended the MCP session (HTTP 404)");
      return;
    }
    if (resp.status < 200 || resp.status >= 300) {
      std::string why = "HTTP " + std::to_string(resp.status) + " " + resp.reason;
      if (!resp.body.empty()) why += ": " + resp.body.substr(0, 300);
      last_error = why;
      if (!id.is_null() && handlers.send_failed) handlers.send_failed(id, why);
      return;
    }
    auto msgs = parse_http_messages(resp.header("Content-Type"), resp.body, &skipped);
    bool answered_id = id.is_null();
    for (Json& m : msgs) {
      if (closed) return;
      if (m.contains("id") && m["id"] == id && (m.contains("result") || m.contains("error"))) answered_id = true;
      if (handlers.message) handlers.message(std::move(m));
    }
    if (!answered_id && !closed && handlers.send_failed)
      handlers.send_failed(id, "the server's HTTP answer (" + std::to_string(resp.status) +
                                   ", " + resp.header("Content-Type") + ") held no response to the request");
  }
};

HttpTransport::HttpTransport(asio::io_context& io, ServerConfig cfg,
                             std::shared_ptr<net::HttpClient> client, SecretLookup secret)
    : state_(std::make_shared<State>(io, std::move(cfg), std::move(client), std::move(secret))) {}

HttpTransport::~HttpTransport() { close(); }

void HttpTransport::start(TransportHandlers handlers) { state_->handlers = std::move(handlers); }

void HttpTransport::set_protocol_version(const std::string& v) { state_->protocol_version = v; }

void HttpTransport::send(const Json& message) {
  State& s = *state_;
  if (s.closed) return;
  Json id = message.contains("id") && message.contains("method") ? message["id"] : Json();
  bool is_initialize = message.value("method", "") == "initialize";
  net::HttpRequest req;
  req.method = "POST";
  req.url = s.cfg.url;
  req.body = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (auto err = s.headers(req.headers, req.sensitive_headers)) {
    if (!id.is_null() && s.handlers.send_failed) {
      auto h = s.handlers.send_failed;
      asio::post(s.io, [h, id, e = *err] { h(id, e); });
    }
    return;
  }
  std::weak_ptr<State> weak = state_;
  asio::io_context& io = s.io;
  s.client->async_request(std::move(req), [weak, &io, id, is_initialize](net::HttpResult r) {
    asio::post(io, [weak, id, is_initialize, r = std::move(r)]() mutable {
      if (auto st = weak.lock()) st->answered(id, is_initialize, std::move(r));
    });
  });
}

void HttpTransport::close() {
  State& s = *state_;
  if (s.closed) return;
  s.closed = true;
  s.handlers = {};
  if (!s.session_id.empty()) {
    // Tell the server the session is over; nobody waits for the answer.
    net::HttpRequest req;
    req.method = "DELETE";
    req.url = s.cfg.url;
    req.headers.emplace_back("Mcp-Session-Id", s.session_id);
    if (!s.protocol_version.empty()) req.headers.emplace_back("MCP-Protocol-Version", s.protocol_version);
    s.client->async_request(std::move(req), [](net::HttpResult) {});
  }
}

std::string HttpTransport::diagnostics() const {
  std::string d;
  if (state_->skipped) d = std::to_string(state_->skipped) + " answer(s) were not JSON-RPC";
  if (!state_->last_error.empty()) d += (d.empty() ? "" : "; ") + std::string("last HTTP error: ") + state_->last_error;
  return d;
}

}  // namespace ossa::mcp
