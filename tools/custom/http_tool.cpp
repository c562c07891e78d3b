#include "tools/custom/http_tool.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tools/custom/template.hpp"
#include "tools/net/http_client.hpp"
#include "tools/net/url.hpp"

namespace ossa::tools::custom {
namespace {

namespace asio = boost::asio;

// Runs the request on the client's own I/O thread and resumes the awaiting coroutine on its
// executor. Not a coroutine itself: GCC 12 destroys a co_await expression's temporaries twice,
// and the initiation owns the scope's shared policy (a second release freed the tool's policy
// while the tool still used it).
asio::awaitable<net::HttpResult> send(std::shared_ptr<net::HttpClient> client,
                                      net::HttpRequest request, net::RequestScope scope) {
  auto init = [client = std::move(client), scope = std::move(scope)](auto handler,
                                                                      net::HttpRequest req) {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    client->async_request(
        std::move(req),
        [h](net::HttpResult result) {
          auto target = asio::get_associated_executor(*h);
          asio::post(target,
                     [h, result = std::move(result)]() mutable { std::move(*h)(std::move(result)); });
        },
        scope);
  };
  return asio::async_initiate<decltype(asio::use_awaitable), void(net::HttpResult)>(
      std::move(init), asio::use_awaitable, std::move(request));
}

class HttpTool final : public Tool {
 public:
  HttpTool(ToolSpec spec, HttpBinding binding, std::shared_ptr<net::HttpClient> client)
      : spec_(std::move(spec)),
        binding_(std::move(binding)),
        // Throws on a malformed rule.
        policy_(std::make_shared<const net::NetworkPolicy>(binding_.rules)),
        client_(std::move(client)) {
    if (!client_) {
      net::HttpClientOptions options;
      options.proxy = net::ProxySettings::from_environment();
      client_ = std::make_shared<net::HttpClient>(std::move(options));
    }
  }
  const ToolSpec& spec() const override { return spec_; }

  asio::awaitable<ToolResult> invoke(const ToolCall& call, ToolContext& ctx) override {
    Expanded url = expand_url(binding_.url, call.arguments);
    if (!url.missing.empty())
      co_return ToolResult::failure("missing required argument `" + url.missing.front() +
                                    "` (it is part of the request URL)");
    net::HttpRequest req;
    req.method = binding_.method;
    req.url = url.text;
    std::string url_error;
    std::optional<net::Url> target = net::parse_url(url.text, &url_error);
    for (const auto& [name, tmpl] : binding_.headers) {
      // A secret is looked up for the request's own host: one not bound to it is never read.
      std::string why;
      Expanded v = expand_secrets(tmpl, [&](std::string_view secret) -> std::optional<std::string> {
        if (!target) {
          why = "the URL is invalid: " + url_error;
          return std::nullopt;
        }
        if (!ctx.secrets) {
          why = "the secret `" + std::string(secret) + "` is not declared";
          return std::nullopt;
        }
        return ctx.secrets->value_for(secret, target->scheme, target->host, target->port, &why);
      });
      if (!v.missing.empty())
        // Said to the model without the value; the operator has to fix the configuration.
        co_return ToolResult::failure("The tool is not configured: " + why + " (needed by header " +
                                      name + ").");
      req.headers.emplace_back(name, v.text);
      req.sensitive_headers.push_back(name);
    }
    if (binding_.json_body) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = call.arguments.dump();
    }
    req.headers.emplace_back("Accept", "application/json, text/plain;q=0.9, */*;q=0.5");
    // Named, not temporaries: GCC 12 destroys co_await temporaries twice.
    net::RequestScope scope{policy_, binding_.timeout};
    auto op = send(client_, std::move(req), std::move(scope));
    net::HttpResult result = co_await std::move(op);
    if (!result) {
      const net::HttpError& e = *result.error;
      co_return ToolResult::failure("The request failed (" + std::string(net::to_string(e.kind)) +
                                        "): " + e.message,
                                    Json{{"error", std::string(net::to_string(e.kind))}});
    }
    const net::HttpResponse& resp = *result.response;
    std::size_t cap = binding_.max_output_bytes.value_or(ctx.limits.max_output_bytes);
    std::string body = resp.body.size() > cap
                           ? resp.body.substr(0, cap) + "\n[... " + std::to_string(resp.body.size() - cap) +
                                 " more bytes not shown ...]"
                           : resp.body;
    Json meta{{"status", resp.status}, {"bytes", resp.body.size()}, {"redirects", resp.redirects.size()}};
    std::string text = "HTTP " + std::to_string(resp.status) + (resp.reason.empty() ? "" : " " + resp.reason);
    std::string type = resp.header("Content-Type");
    if (!type.empty()) text += "\nContent-Type: " + type;
    text += "\n\n" + body;
    co_return resp.status >= 400 ? ToolResult::failure(text, meta) : ToolResult::success(text, meta);
  }

 private:
  ToolSpec spec_;
  HttpBinding binding_;
  std::shared_ptr<const net::NetworkPolicy> policy_;
  std::shared_ptr<net::HttpClient> client_;
};

}  // namespace

std::shared_ptr<Tool> make_http_tool(ToolSpec spec, HttpBinding binding,
                                     std::shared_ptr<net::HttpClient> client) {
  return std::make_shared<HttpTool>(std::move(spec), std::move(binding), std::move(client));
}

}  // namespace ossa::tools::custom
