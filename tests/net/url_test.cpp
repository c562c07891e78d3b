#include "tools/net/url.hpp"

#include <gtest/gtest.h>

using namespace ossa::net;

TEST(Url, ParsesParts) {
  auto u = parse_url("HTTPS://User@Example.COM:8443/a/./b/../c?x=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/a/c");
  EXPECT_EQ(u->query, "x=1");
  EXPECT_EQ(u->fragment, "frag");
  EXPECT_EQ(u->str(), "https://User@example.com:8443/a/c?x=1");
}

TEST(Url, Ipv6AndDefaults) {
  auto u = parse_url("http://[::ffff:127.0.0.1]/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::ffff:127.0.0.1");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->authority(), "[::ffff:127.0.0.1]");
  EXPECT_EQ(parse_url("http://example.com")->target(), "/");
}

TEST(Url, RejectsBadInput) {
  std::string err;
  EXPECT_FALSE(parse_url("example.com/x", &err));
  EXPECT_FALSE(parse_url("http://", &err));
  EXPECT_FALSE(parse_url("http://a b/", &err));
  EXPECT_FALSE(parse_url("http://host:99999/", &err));
  EXPECT_FALSE(parse_url("http://host:8x/", &err));
  EXPECT_FALSE(parse_url("http://[::1/", &err));
  EXPECT_FALSE(err.empty());
}

TEST(Url, ResolvesReferences) {
  std::string base = "http://a.com/b/c/d?q";
  EXPECT_EQ(resolve_url(base, "g"), "http://a.com/b/c/g");
  EXPECT_EQ(resolve_url(base, "../g"), "http://a.com/b/g");
  EXPECT_EQ(resolve_url(base, "/g?x"), "http://a.com/g?x");
  EXPECT_EQ(resolve_url(base, "?y"), "http://a.com/b/c/d?y");
  EXPECT_EQ(resolve_url(base, "#s"), "http://a.com/b/c/d?q#s");
  EXPECT_EQ(resolve_url(base, "//other.org/p"), "http://other.org/p");
  EXPECT_EQ(resolve_url(base, "https://x.org"), "https://x.org/");
  EXPECT_EQ(resolve_url(base, "mailto:a@b"), "mailto:a@b");
  EXPECT_EQ(resolve_url("", "g"), "");
}

TEST(Url, PercentEncoding) {
  EXPECT_EQ(percent_encode("a b/c&d=é"), "a%20b%2Fc%26d%3D%C3%A9");
  EXPECT_EQ(percent_decode("a%20b%2fc%zz%"), "a b/c%zz%");
}
