#include "tools/net/http_request_tool.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>

#include "tools/net/url.hpp"
#include "tools/registry.hpp"
#include "tools/text.hpp"
#include "tools/tool.hpp"

namespace ossa::net {
namespace {

using tools::Json;


// What one call needs, prepared outside the coroutine (see browser_tool.cpp on GCC 12).
struct Prepared {
  HttpRequest request;
  std::vector<std::string> secrets;  // values to mask in the output
  std::string error;
};

// `disabled`: why no request can be allowed (no rules, or a malformed one); empty otherwise.
Prepared prepare(const Json& args, const tools::ToolContext& ctx, const std::string& disabled) {
  Prepared p;
  if (!disabled.empty()) {
    p.error = "functions.http_request is not enabled: " + disabled;
    return p;
  }
  p.request.method = args.value("method", std::string("GET"));
  for (char& c : p.request.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string url = args.value("url", std::string());
  if (args.contains("query") && args["query"].is_object()) {
    std::string q;
    for (auto it = args["query"].begin(); it != args["query"].end(); ++it) {
      std::string v = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
      q += (q.empty() ? "" : "&") + percent_encode(it.key()) + "=" + percent_encode(v);
    }
    if (!q.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + q;
  }
  p.request.url = url;
  std::string url_error;
  std::optional<Url> target = parse_url(url, &url_error);
  bool has_type = false;
  if (args.contains("headers") && args["headers"].is_object()) {
    for (auto it = args["headers"].begin(); it != args["headers"].end(); ++it) {
      if (!it.value().is_string()) {
        p.error = "header `" + it.key() + "`: expected a string";
        return p;
      }
      std::string value = it.value().get<std::string>(), out;
      bool secret = false;
      for (std::size_t i = 0; i < value.size();) {
        if (value.compare(i, 2, "${") == 0) {
          auto close = value.find('}', i);
          if (close == std::string::npos) {
            out += value.substr(i);
            break;
          }
          std::string name = value.substr(i + 2, close - i - 2);
          // Only a declared secret, and only for a host it is bound to.
          std::string why = "the secret `" + name + "` is not declared";
          std::optional<std::string> v;
          if (!target) why = "the URL is invalid: " + url_error;
          else if (ctx.secrets) v = ctx.secrets->value_for(name, target->scheme, target->host, target->port, &why);
          if (!v) {
            p.error = "header `" + it.key() + "`: " + why;
            return p;
          }
          out += *v;
          if (!v->empty()) p.secrets.push_back(*v);
          secret = true;
          i = close + 1;
        } else {
          out += value[i++];
        }
      }
      if (secret) p.request.sensitive_headers.push_back(it.key());
      if (tools::lower_ascii(it.key()) == "content-type") has_type = true;
      p.request.headers.emplace_back(it.key(), out);
    }
  }
  if (args.contains("json") && !args["json"].is_null()) {
    p.request.body = args["json"].dump();
    if (!has_type) p.request.headers.emplace_back("Content-Type", "application/json");
  } else if (args.contains("body") && args["body"].is_string()) {
    p.request.body = args["body"].get<std::string>();
    if (!has_type) p.request.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  }
  return p;
}

std::string mask(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets)
    for (std::size_t pos = 0; (pos = text.find(s, pos)) != std::string::npos;)
      text.replace(pos, s.size(), "[secret]");
  return text;
}

tools::ToolResult format(const HttpResult& r, const Prepared& p,
                         const HttpRequestToolSettings& settings) {
  if (!r) {
    Json meta = Json::object();
    meta["error_kind"] = std::string(to_string(r.error->kind));
    return tools::ToolResult::failure(mask("HTTP request failed: " + r.error->message, p.secrets),
                                      std::move(meta));
  }
  const HttpResponse& res = *r.response;
  std::string text = "HTTP " + std::to_string(res.status) + " " + res.reason + "\n";
  for (const auto& [k, v] : res.headers)
    for (const auto& want : settings.shown_headers)
      if (tools::lower_ascii(k) == want) text += tools::lower_ascii(k) + ": " + v + "\n";
  if (!res.redirects.empty()) text += "final-url: " + res.final_url + "\n";
  text += "\n";
  std::string body = res.body;
  bool cut = body.size() > settings.max_body_chars;
  if (cut) {
    std::size_t n = settings.max_body_chars;
    while (n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
    body.resize(n);
  }
  text += body;
  if (cut)
    text += "\n[... truncated: " + std::to_string(res.body.size() - body.size()) +
            " more bytes not shown]";
  Json meta = Json::object();
  meta["status"] = res.status;
  meta["bytes"] = res.body.size();
  meta["truncated"] = cut;
  meta["final_url"] = mask(res.final_url, p.secrets);
  return tools::ToolResult{mask(text, p.secrets), res.status >= 400, std::move(meta)};
}

class HttpRequestTool : public tools::Tool {
 public:
  explicit HttpRequestTool(const HttpRequestToolSettings& settings) : settings_(settings) {
    spec_.ns = "functions";
    spec_.name = "http_request";
    spec_.description =
        "Makes an HTTP request to an allowed API and returns the status, selected headers and "
        "the body as text. Header values may use ${NAME} for configured secrets.";
    spec_.parameters = Json::parse(R"J({"type": "object", "properties": {
      "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], "default": "GET"},
      "url": {"type": "string", "description": "Absolute http(s) URL"},
      "headers": {"type": "object", "additionalProperties": {"type": "string"}},
      "query": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
      "json": {"description": "JSON request body"},
      "body": {"type": "string", "description": "Text request body (when json is absent)"}},
      "required": ["url"]})J");
    spec_.needs_network = true;
    spec_.needs_approval = true;
    std::string error;
    auto policy = NetworkPolicy::parse(settings.network_allowlist, &error);
    // A malformed rule is said as such, never read as "no rules" (the runtime's Environment
    // refuses it before any tool is built).
    if (!policy) disabled_ = error;
    else if (policy->empty()) disabled_ = "no network rules allow any host";
    policy_ = std::make_shared<const NetworkPolicy>(policy ? std::move(*policy) : NetworkPolicy());
    client_ = settings.client;
    if (!client_) client_ = std::make_shared<HttpClient>(settings.http);
  }

  const tools::ToolSpec& spec() const override { return spec_; }

  boost::asio::awaitable<tools::ToolResult> invoke(const tools::ToolCall& call,
                                                   tools::ToolContext& ctx) override {
    Prepared p = prepare(call.arguments, ctx, disabled_);
    if (!p.error.empty()) co_return tools::ToolResult::failure(p.error);
    auto op = request(p.request);
    HttpResult r = co_await std::move(op);
    co_return format(r, p, settings_);
  }

 private:
  // The client's callback completes on its I/O thread; the result is posted back to the
  // awaiting coroutine's executor by Asio's completion machinery.
  boost::asio::awaitable<HttpResult> request(HttpRequest req) const {
    auto client = client_;
    auto policy = policy_;
    auto init = [client, policy](auto handler, HttpRequest r) {
      auto h = std::make_shared<decltype(handler)>(std::move(handler));
      client->async_request(
          std::move(r),
          [h](HttpResult result) {
            auto ex = boost::asio::get_associated_executor(*h);
            boost::asio::post(ex, [h, result = std::move(result)]() mutable {
              std::move(*h)(std::move(result));
            });
          },
          RequestScope{policy, std::nullopt});
    };
    return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(HttpResult)>(
        std::move(init), boost::asio::use_awaitable, std::move(req));
  }

  HttpRequestToolSettings settings_;
  tools::ToolSpec spec_;
  std::shared_ptr<const NetworkPolicy> policy_;
  std::shared_ptr<HttpClient> client_;
  std::string disabled_;
};

}  // namespace

std::shared_ptr<tools::Tool> make_http_request_tool(const HttpRequestToolSettings& settings) {
  return std::make_shared<HttpRequestTool>(settings);
}

void add_http_request_tool(tools::Registry& registry, const HttpRequestToolSettings& settings) {
  registry.add(make_http_request_tool(settings));
}

}  // namespace ossa::net
