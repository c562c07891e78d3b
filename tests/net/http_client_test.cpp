#include "tools/net/http_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/net/test_server.hpp"
#include "tools/net/content_decoding.hpp"

using namespace ossa::net;
using ossa::test::ServerReply;
using ossa::test::ServerRequest;
using ossa::test::TestServer;
using namespace std::chrono_literals;

namespace {

HttpClientOptions loopback_options(std::vector<std::string> rules = {"127.0.0.1:*"}) {
  HttpClientOptions o;
  o.policy = NetworkPolicy(rules);
  o.connect_timeout = 2s;
  o.total_timeout = 5s;
  return o;
}

ServerReply routes(const ServerRequest& r) {
  ServerReply rep;
  std::string t = r.target;
  if (t == "/hello") {
    rep.body = "<p>hello</p>";
  } else if (t == "/redirect") {
    rep.status = 302;
    rep.headers = {{"Location", "/hello"}};
  } else if (t.rfind("/chain/", 0) == 0) {
    int n = std::stoi(t.substr(7));
    rep.status = 301;
    rep.headers = {{"Location", n > 0 ? "/chain/" + std::to_string(n - 1) : "/hello"}};
  } else if (t == "/see-other") {
    rep.status = 303;
    rep.headers = {{"Location", "/echo"}};
  } else if (t == "/echo") {
    rep.body = r.method + " " + r.body;
  } else if (t == "/chunked") {
    rep.body = std::string(5000, 'c');
    rep.chunked = true;
  } else if (t == "/gzip") {
    rep.body = gzip_compress(std::string(10000, 'z') + "END");
    rep.headers = {{"Content-Encoding", "gzip"}};
    rep.chunked = true;
  } else if (t == "/bomb") {
    rep.body = gzip_compress(std::string(4u << 20, '\0'));
    rep.headers = {{"Content-Encoding", "gzip"}};
  } else if (t == "/big") {
    rep.body = std::string(300000, 'b');
  } else if (t == "/slow") {
    rep.delay = 3000ms;
    rep.body = "late";
  } else if (t == "/slow-body") {
    rep.body_delay = 3000ms;
    rep.body = "late";
  } else if (t == "/to-metadata") {
    rep.status = 302;
    rep.headers = {{"Location", "http://169.254.169.254/latest/meta-data/"}};
  } else if (t == "/headers") {
    rep.body = "auth=" + r.header("Authorization") + " x=" + r.header("X-Api-Key");
  } else {
    rep.status = 404;
    rep.body = "not found";
  }
  return rep;
}

}  // namespace

TEST(HttpClient, GetsFromAllowlistedLoopback) {
  TestServer server(routes);
  HttpClient client(loopback_options());
  auto r = client.request({"GET", server.base_url() + "/hello", {}, {}, {}});
  ASSERT_TRUE(r) << r.error->message;
  EXPECT_EQ(r.response->status, 200);
  EXPECT_EQ(r.response->body, "<p>hello</p>");
  EXPECT_EQ(r.response->remote_address, "127.0.0.1");
  EXPECT_NE(r.response->header("content-type").find("text/html"), std::string::npos);
}

TEST(HttpClient, LoopbackRefusedWithoutANamingRule) {
  TestServer server(routes);
  HttpClient client(loopback_options({"*:*"}));
  auto r = client.request({"GET", server.base_url() + "/hello", {}, {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error->kind, HttpErrorKind::policy);
  EXPECT_NE(r.error->message.find("loopback"), std::string::npos);
  EXPECT_NE(r.error->message.find("rule `*:*`"), std::string::npos);
  EXPECT_TRUE(server.requests().empty());
}

TEST(HttpClient, NamedHostAllowsItsLoopbackAddress) {
  TestServer server(routes);
  HttpClient client(loopback_options({"localhost:" + std::to_string(server.port())}));
  auto r = client.request({"GET", server.base_url("localhost") + "/hello", {}, {}, {}});
  ASSERT_TRUE(r) << r.error->message;
  EXPECT_EQ(r.response->body, "<p>hello</p>");
}

TEST(HttpClient, Ipv6AndMappedFormsRefused) {
  // Every port, every host, and a loopback *name*: none of them names these addresses.
  HttpClient client(loopback_options({"*:*", "localhost:*"}));
  for (std::string url : {"http://[::1]:9/", "http://[::ffff:127.0.0.1]:9/",
                          "http://[::ffff:169.254.169.254]/", "http://[fe80::1]/",
                          "http://[64:ff9b::7f00:1]/", "http://169.254.169.254/",
                          "http://0.0.0.0:9/", "http://100.64.1.1/"}) {
    auto r = client.request({"GET", url, {}, {}, {}});
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error->kind, HttpErrorKind::policy) << url << ": " << r.error->message;
  }
}

TEST(HttpClient, FollowsRedirectsAndCountsThem) {
  TestServer server(routes);
  HttpClient client(loopback_options());
  auto r = client.request({"GET", server.base_url() + "/chain/2", {}, {}, {}});
  ASSERT_TRUE(r) << r.error->message;
  EXPECT_EQ(r.response->body, "<p>hello</p>");
  ASSERT_EQ(r.response->redirects.size(), 3u);
  EXPECT_EQ(r.response->final_url, server.base_url() + "/hello");

  HttpClientOptions few = loopback_options();
  few.max_redirects = 2;
  HttpClient strict(few);
  auto r2 = strict.request({"GET", server.base_url() + "/chain/5", {}, {}, {}});
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error->kind, HttpErrorKind::too_many_redirects);
}

TEST(HttpClient, SeeOtherTurnsPostIntoGet) {
  TestServer server(routes);
  HttpClient client(loopback_options());
  auto r = client.request({"POST", server.base_url() + "/see-other", {}, "payload", {}});
  ASSERT_TRUE(r) << r.error->message;
  EXPECT_EQ(r.response->body, "GET ");
}

TEST(HttpClient, RedirectToMetadataIsRefused) {
  TestServer server(routes);
  HttpClient client(loopback_options({"127.0.0.1:*", "*"}));
  auto r = client.request({"GET", server.base_url() + "/to-metadata", {}, {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error->kind, HttpErrorKind::policy);
  EXPECT_NE(r.error->message.find("cloud metadata"), std::string::npos);
}

TEST(HttpClient, RedirectToLoopbackFromNamedHostIsRefused) {
  // localhost is named, 127.0.0.1 is not: a redirect to the literal address is re-checked.
  TestServer server([](const ServerRequest& r) {
    ServerReply rep;
    if (r.target == "/go") {
      rep.status = 302;
      rep.headers = {{"Location", "http://127.0.0.1:" + r.header("X-Port") + "/hello"}};
    }
    return rep;
  });
  std::string port = std::to_string(server.port());
  HttpClient client(loopback_options({"localhost:" + port, "*"}));
  auto r = client.request({"GET", server.base_url("localhost") + "/go", {{"X-Port", port}}, {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error->kind, HttpErrorKind::policy);
  EXPECT_NE(r.error->message.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClient, CrossOriginRedirectDropsSecrets) {
  TestServer target(routes);
  TestServer origin([&](const ServerRequest&) {
    ServerReply rep;
    rep.status = 307;
    rep.headers = {{"Location", target.base_url() + "/headers"}};
    return rep;
  });
  HttpClient client(loopback_options());
  HttpRequest req{"GET", origin.base_url() + "/x", {{"Authorization", "Bearer s3cret"}, {"X-Api-Key", "k"}}, {}, {}};
  req.sensitive_headers = {"X-Api-Key"};
  auto r = client.request(req);
  ASSERT_TRUE(r) << r.error->message;
  EXPECT_EQ(r.response->body, "auth= x=");
  EXPECT_EQ(origin.requests().at(0).header("Authorization"), "Bearer s3cret");
}

TEST(HttpClient, ChunkedAndGzipBodies) {
  TestServer server(routes);
  HttpClient client(loopback_options());
  auto c = client.request({"GET", server.base_url() + "/chunked", {}, {}, {}});
  ASSERT_TRUE(c) << c.error->message;
  EXPECT_EQ(c.response->body, std::string(5000, 'c'));
  auto g = client.request({"GET", server.base_url() + "/gzip", {}, {}, {}});
  ASSERT_TRUE(g) << g.error->message;
  EXPECT_EQ(g.response->body, std::string(10000, 'z') + "END");
  EXPECT_EQ(g.response->header("content-encoding"), "");
  EXPECT_EQ(server.requests().back().header("Accept-Encoding"), "gzip, deflate");
}

TEST(HttpClient, OversizedBodiesAndBombsRefused) {
  TestServer server(routes);
  HttpClientOptions o = loopback_options();
  o.max_body_bytes = 100000;
  HttpClient client(o);
  auto big = client.request({"GET", server.base_url() + "/big", {}, {}, {}});
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error->kind, HttpErrorKind::too_large);
  auto bomb = client.request({"GET", server.base_url() + "/bomb", {}, {}, {}});
  ASSERT_FALSE(bomb);
  EXPECT_EQ(bomb.error->kind, HttpErrorKind::too_large);
}

TEST(HttpClient, SlowResponsesTimeOut) {
  TestServer server(routes);
  HttpClientOptions o = loopback_options();
  o.total_timeout = 300ms;
  HttpClient client(o);
  for (const char* path : {"/slow", "/slow-body"}) {
    auto start = std::chrono::steady_clock::now();
    auto r = client.request({"GET", server.base_url() + path, {}, {}, {}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error->kind, HttpErrorKind::timeout) << r.error->message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  }
}

TEST(HttpClient, CancelStopsARunningRequest) {
  TestServer server(routes);
  HttpClient client(loopback_options());
  HttpCancel cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancel.cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto r = client.request({"GET", server.base_url() + "/slow", {}, {}, {}}, &cancel);
  canceller.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error->kind, HttpErrorKind::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(HttpClient, KeepAliveConnectionsAreReused) {
  TestServer server(routes);
  HttpClient client(loopback_options());
  auto a = client.request({"GET", server.base_url() + "/hello", {}, {}, {}});
  auto b = client.request({"GET", server.base_url() + "/hello", {}, {}, {}});
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a.response->reused_connection);
  EXPECT_TRUE(b.response->reused_connection);
  EXPECT_EQ(server.connections_accepted(), 1u);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(HttpClient, RejectsHeaderInjectionAndBadUrls) {
  HttpClient client(loopback_options());
  auto r = client.request({"GET", "http://127.0.0.1:9/", {{"X", "a\r\nEvil: 1"}}, {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error->kind, HttpErrorKind::invalid_url);
  auto u = client.request({"GET", "file:///etc/passwd", {}, {}, {}});
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error->kind, HttpErrorKind::invalid_url);
}

TEST(HttpClient, TlsWithVerifiedCertificate) {
  auto cert = ossa::test::make_test_certificate("localhost", false);
  TestServer server(routes, &cert);
  std::string port = std::to_string(server.port());
  HttpClientOptions o = loopback_options({"localhost:" + port, "127.0.0.1:" + port});
  o.extra_ca_pem = cert.cert_pem;
  o.use_system_ca = false;
  HttpClient client(o);
  auto r = client.request({"GET", server.base_url("localhost") + "/hello", {}, {}, {}});
  ASSERT_TRUE(r) << r.error->message;
  EXPECT_EQ(r.response->body, "<p>hello</p>");
  // The certificate names localhost, not 127.0.0.1: host-name verification must fail.
  auto wrong = client.request({"GET", server.base_url("127.0.0.1") + "/hello", {}, {}, {}});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error->kind, HttpErrorKind::tls);
  // Without the test CA the chain is untrusted.
  HttpClientOptions plain = loopback_options({"localhost:" + port});
  HttpClient untrusting(plain);
  auto u = untrusting.request({"GET", server.base_url("localhost") + "/hello", {}, {}, {}});
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error->kind, HttpErrorKind::tls);
}

TEST(HttpClient, PlainProxyGetsAbsoluteFormToCheckedAddress) {
  TestServer proxy([](const ServerRequest& r) {
    ServerReply rep;
    rep.body = "via proxy: " + r.target;
    return rep;
  });
  HttpClientOptions o = loopback_options({"localhost:8081"});
  o.proxy.http_proxy = proxy.base_url();
  HttpClient client(o);
  auto r = client.request({"GET", "http://localhost:8081/x?y", {}, {}, {}});
  ASSERT_TRUE(r) << r.error->message;
  EXPECT_TRUE(r.response->body == "via proxy: http://127.0.0.1:8081/x?y" ||
              r.response->body == "via proxy: http://[::1]:8081/x?y")
      << r.response->body;
  EXPECT_EQ(proxy.requests().at(0).header("Host"), "localhost:8081");
}

TEST(ProxySettings, NoProxyMatching) {
  ProxySettings p;
  p.http_proxy = "http://proxy:3128";
  p.https_proxy = "http://proxy:3128";
  p.no_proxy = "localhost, .corp.example,internal.org:8080";
  EXPECT_EQ(p.proxy_for("http", "example.com"), "http://proxy:3128");
  EXPECT_EQ(p.proxy_for("https", "LOCALHOST"), "");
  EXPECT_EQ(p.proxy_for("https", "a.corp.example"), "");
  EXPECT_EQ(p.proxy_for("https", "corp.example"), "");
  EXPECT_EQ(p.proxy_for("http", "internal.org"), "");
  EXPECT_EQ(p.proxy_for("http", "notcorp.example"), "http://proxy:3128");
  p.no_proxy = "*";
  EXPECT_EQ(p.proxy_for("http", "example.com"), "");
}
