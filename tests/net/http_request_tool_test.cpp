#include "tools/net/http_request_tool.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "tests/net/test_server.hpp"
#include "tools/registry.hpp"
#include "tools/tool.hpp"

using namespace ossa::net;
using ossa::test::ServerReply;
using ossa::test::ServerRequest;
using ossa::test::TestServer;

namespace {

ServerReply api(const ServerRequest& r) {
  ServerReply rep;
  rep.headers = {{"Content-Type", "application/json"}, {"X-Internal", "hidden"}};
  if (r.target.rfind("/echo", 0) == 0) {
    rep.body = "{\"target\":\"" + r.target + "\",\"auth\":\"" + r.header("Authorization") +
               "\",\"type\":\"" + r.header("Content-Type") + "\",\"body\":" +
               (r.body.empty() ? "null" : r.body) + "}";
  } else if (r.target == "/big") {
    rep.body = std::string(50000, 'a');
  } else {
    rep.status = 404;
    rep.body = "{}";
  }
  return rep;
}

ossa::tools::ToolResult call(ossa::tools::Registry& reg, const std::string& body,
                             std::shared_ptr<const ossa::tools::Secrets> secrets = {}) {
  boost::asio::io_context io;
  ossa::tools::ToolContext ctx;
  ctx.executor = io.get_executor();
  ctx.secrets = std::move(secrets);
  ossa::tools::ToolCall c;
  c.recipient = "functions.http_request";
  c.body = body;
  auto fut = boost::asio::co_spawn(io, reg.dispatch(c, ctx), boost::asio::use_future);
  io.run();
  return fut.get();
}

// API_TOKEN (read from $OSSA_TEST_API_TOKEN, here a fixed value) bound to `hosts`.
std::shared_ptr<const ossa::tools::Secrets> token_for(std::vector<std::string> hosts) {
  return std::make_shared<const ossa::tools::Secrets>(
      std::vector<ossa::tools::SecretSpec>{{"API_TOKEN", "OSSA_TEST_API_TOKEN", std::move(hosts)}},
      [](std::string_view env) -> std::optional<std::string> {
        if (env == "OSSA_TEST_API_TOKEN") return std::string("s3cr3t-value");
        return std::nullopt;
      });
}

}  // namespace

TEST(HttpRequestTool, CallsAnAllowedApiWithSecretsMasked) {
  TestServer server(api);
  ossa::tools::Registry reg;
  HttpRequestToolSettings s;
  s.network_allowlist = {"127.0.0.1:" + std::to_string(server.port())};
  add_http_request_tool(reg, s);
  ASSERT_TRUE(reg.developer_tools().contains("functions"));
  std::string url = server.base_url() + "/echo";
  auto r = call(reg,
                R"({"method": "POST", "url": ")" + url + R"(", "query": {"q": "a b&c", "n": 3},
                    "headers": {"Authorization": "Bearer ${API_TOKEN}"}, "json": {"x": 1}})",
                token_for({"127.0.0.1:" + std::to_string(server.port())}));
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.text.substr(0, 16), "HTTP 200 OK\ncont");
  EXPECT_NE(r.text.find("content-type: application/json"), std::string::npos);
  EXPECT_EQ(r.text.find("hidden"), std::string::npos);  // unlisted headers stay out
  EXPECT_NE(r.text.find("/echo?q=a%20b%26c&n=3"), std::string::npos);
  EXPECT_NE(r.text.find("\"auth\":\"Bearer [secret]\""), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("s3cr3t-value"), std::string::npos);
  EXPECT_NE(r.text.find("\"body\":{\"x\":1}"), std::string::npos);
  EXPECT_EQ(server.requests().back().header("Authorization"), "Bearer s3cr3t-value");
  EXPECT_EQ(server.requests().back().method, "POST");

  auto missing = call(reg, R"({"url": ")" + url + R"(", "headers": {"X-Key": "${NOPE}"}})");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("the secret `NOPE` is not declared"), std::string::npos) << missing.text;

  auto big = call(reg, R"({"url": ")" + server.base_url() + R"(/big"})");
  EXPECT_NE(big.text.find("[... truncated: " + std::to_string(50000 - 16 * 1024) + " more bytes not shown]"), std::string::npos);
  auto nf = call(reg, R"({"url": ")" + server.base_url() + R"(/missing"})");
  EXPECT_TRUE(nf.is_error);
  EXPECT_EQ(nf.text.substr(0, 13), "HTTP 404 Not ");
}

TEST(HttpRequestTool, RefusedByPolicyOrDisabled) {
  TestServer server(api);
  ossa::tools::Registry reg;
  HttpRequestToolSettings s;
  s.network_allowlist = {"*:*"};
  add_http_request_tool(reg, s);
  auto r = call(reg, R"({"url": ")" + server.base_url() + R"(/echo"})");
  ASSERT_TRUE(r.is_error);
  EXPECT_NE(r.text.find("refused by network policy"), std::string::npos);
  EXPECT_NE(r.text.find("loopback"), std::string::npos);
  auto meta = call(reg, R"({"url": "http://169.254.169.254/latest/meta-data/"})");
  EXPECT_NE(meta.text.find("cloud metadata"), std::string::npos);
  EXPECT_TRUE(server.requests().empty());

  ossa::tools::Registry off;
  add_http_request_tool(off, HttpRequestToolSettings{});
  auto d = call(off, R"({"url": "http://example.com/"})");
  EXPECT_TRUE(d.is_error);
  EXPECT_NE(d.text.find("not enabled"), std::string::npos);
}

// Issue 17, item 8, as attacked: `--allow 0.0.0.0/0` let http_request read a loopback server.
TEST(HttpRequestTool, BroadCidrDoesNotReachLoopback) {
  TestServer server(api);
  std::string url = server.base_url() + "/echo";
  for (const char* rule : {"0.0.0.0/0:*", "::/0:*", "[::]/0:*"}) {
    ossa::tools::Registry reg;
    HttpRequestToolSettings s;
    s.network_allowlist = {rule};
    add_http_request_tool(reg, s);
    auto r = call(reg, R"({"url": ")" + url + R"("})");
    EXPECT_TRUE(r.is_error) << rule << ": " << r.text;
    EXPECT_NE(r.text.find("loopback"), std::string::npos) << r.text;
  }
  EXPECT_TRUE(server.requests().empty());
  ossa::tools::Registry reg;
  HttpRequestToolSettings s;
  s.network_allowlist = {"127.0.0.0/8:*"};
  add_http_request_tool(reg, s);
  auto r = call(reg, R"({"url": ")" + url + R"("})");
  EXPECT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(server.requests().size(), 1u);
}

// Issue 17, item 4, as attacked: `${NAME}` expanded any environment variable
// (`${AWS_SECRET_ACCESS_KEY}`, `${HOME}`) into a header sent to any allowed host. Only
// declared secrets expand, and only for the hosts they are bound to, redirects included.
TEST(HttpRequestTool, SecretsAreDeclaredAndBoundToHosts) {
  TestServer bound(api), other(api);
  ::setenv("OSSA_TEST_AWS_SECRET_ACCESS_KEY", "aws-leak-value", 1);
  ossa::tools::Registry reg;
  HttpRequestToolSettings s;
  s.network_allowlist = {"127.0.0.1:*"};
  add_http_request_tool(reg, s);
  auto secrets = token_for({"127.0.0.1:" + std::to_string(bound.port())});

  // An undeclared environment variable is never read, whatever the host.
  for (const char* name : {"OSSA_TEST_AWS_SECRET_ACCESS_KEY", "HOME"}) {
    auto r = call(reg,
                  R"({"url": ")" + bound.base_url() + R"(/echo", "headers": {"X-Key": "${)" + name + R"(}"}})",
                  secrets);
    EXPECT_TRUE(r.is_error) << r.text;
    EXPECT_NE(r.text.find(std::string("the secret `") + name + "` is not declared"), std::string::npos) << r.text;
  }
  EXPECT_TRUE(bound.requests().empty());

  // A declared secret is not sent to a host outside its binding, though the policy allows it.
  auto elsewhere = call(reg,
                        R"({"url": ")" + other.base_url() + R"(/echo", "headers": {"X-Api-Key": "${API_TOKEN}"}})",
                        secrets);
  EXPECT_TRUE(elsewhere.is_error);
  EXPECT_NE(elsewhere.text.find("may not be sent to http://127.0.0.1:" + std::to_string(other.port())),
            std::string::npos)
      << elsewhere.text;
  EXPECT_TRUE(other.requests().empty());

  // ... nor after a redirect from its host to another.
  TestServer redirector([&](const ServerRequest&) {
    ServerReply rep;
    rep.status = 302;
    rep.headers = {{"Location", other.base_url() + "/echo"}};
    return rep;
  });
  auto via = token_for({"127.0.0.1:" + std::to_string(redirector.port())});
  auto hop = call(reg,
                  R"({"url": ")" + redirector.base_url() + R"(/go", "headers": {"X-Api-Key": "${API_TOKEN}", "Authorization": "Bearer ${API_TOKEN}"}})",
                  via);
  EXPECT_FALSE(hop.is_error) << hop.text;
  ASSERT_EQ(redirector.requests().size(), 1u);
  EXPECT_EQ(redirector.requests()[0].header("X-Api-Key"), "s3cr3t-value");
  ASSERT_EQ(other.requests().size(), 1u);
  EXPECT_EQ(other.requests()[0].header("X-Api-Key"), "");
  EXPECT_EQ(other.requests()[0].header("Authorization"), "");
  EXPECT_EQ(hop.text.find("s3cr3t-value"), std::string::npos);
  ::unsetenv("OSSA_TEST_AWS_SECRET_ACCESS_KEY");
}
