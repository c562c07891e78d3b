#include "tools/net/network_policy.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace ossa::net;

TEST(NetworkPolicy, EmptyRefusesEverything) {
  NetworkPolicy p;
  auto d = p.check_target("https", "example.com", 443);
  EXPECT_FALSE(d);
  EXPECT_NE(d.message.find("no network rules are configured"), std::string::npos);
}

TEST(NetworkPolicy, BadRulesAreNamed) {
  std::string err;
  EXPECT_FALSE(NetworkPolicy::parse({"ok.com", "ftp://x.com"}, &err));
  EXPECT_NE(err.find("ftp://x.com"), std::string::npos);
  EXPECT_FALSE(NetworkPolicy::parse({"x.com:70000"}, &err));
  EXPECT_FALSE(NetworkPolicy::parse({"::1:80"}, &err));
  EXPECT_FALSE(NetworkPolicy::parse({"10.0.0.0/33"}, &err));
  EXPECT_FALSE(NetworkPolicy::parse({"*.*"}, &err));
  EXPECT_THROW(NetworkPolicy({"a b"}), std::invalid_argument);
}

TEST(NetworkPolicy, WildcardsSchemesAndPorts) {
  NetworkPolicy p({"*.corp.example:443", "https://api.example.com", "http://plain.example:*"});
  EXPECT_TRUE(p.check_target("https", "a.corp.example", 443));
  EXPECT_TRUE(p.check_target("http", "a.b.corp.example", 443));
  EXPECT_FALSE(p.check_target("https", "corp.example", 443));        // apex not included
  EXPECT_FALSE(p.check_target("https", "evilcorp.example", 443));
  EXPECT_FALSE(p.check_target("https", "a.corp.example", 8443));
  EXPECT_TRUE(p.check_target("https", "api.example.com", 443));
  EXPECT_FALSE(p.check_target("http", "api.example.com", 80));       // scheme pinned
  EXPECT_FALSE(p.check_target("https", "api.example.com", 8443));    // default port only
  EXPECT_TRUE(p.check_target("http", "plain.example", 1234));
  EXPECT_EQ(p.check_target("https", "x.corp.example", 443).rule, "*.corp.example:443");
}

TEST(NetworkPolicy, ClassifiesSpecialAddresses) {
  EXPECT_EQ(special_address_kind("127.0.0.1"), "loopback");
  EXPECT_EQ(special_address_kind("10.1.2.3"), "private");
  EXPECT_EQ(special_address_kind("172.31.0.1"), "private");
  EXPECT_EQ(special_address_kind("192.168.1.1"), "private");
  EXPECT_EQ(special_address_kind("169.254.169.254"), "cloud metadata");
  EXPECT_EQ(special_address_kind("169.254.1.1"), "link-local");
  EXPECT_EQ(special_address_kind("100.64.0.1"), "CGNAT (shared address space)");
  EXPECT_EQ(special_address_kind("224.0.0.1"), "multicast");
  EXPECT_EQ(special_address_kind("0.0.0.0"), "unspecified");
  EXPECT_EQ(special_address_kind("::1"), "loopback");
  EXPECT_EQ(special_address_kind("::"), "unspecified");
  EXPECT_EQ(special_address_kind("fe80::1"), "link-local");
  EXPECT_EQ(special_address_kind("fd12::1"), "unique-local");
  EXPECT_EQ(special_address_kind("ff02::1"), "multicast");
  EXPECT_EQ(special_address_kind("fd00:ec2::254"), "cloud metadata");
  EXPECT_EQ(special_address_kind("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(special_address_kind("::ffff:169.254.169.254"), "cloud metadata");
  EXPECT_EQ(special_address_kind("::ffff:7f00:1"), "loopback");
  EXPECT_EQ(special_address_kind("::127.0.0.1"), "loopback");       // IPv4-compatible
  EXPECT_EQ(special_address_kind("64:ff9b::a9fe:a9fe"), "cloud metadata");  // NAT64
  EXPECT_EQ(special_address_kind("2002:7f00:1::"), "loopback");      // 6to4
  EXPECT_EQ(special_address_kind("not-an-ip"), "invalid");
  EXPECT_EQ(special_address_kind("93.184.216.34"), std::nullopt);
  EXPECT_EQ(special_address_kind("2606:2800:220:1::1"), std::nullopt);
  EXPECT_EQ(special_address_kind("64:ff9b::5db8:d822"), std::nullopt);
}

TEST(NetworkPolicy, SpecialAddressesNeedANamingRule) {
  NetworkPolicy p({"*", "localhost:8080", "10.0.0.0/8:443", "[fd00::]/8:*"});
  // A wildcard matches the name but never opens a special address.
  auto d = p.check_address("http", "evil.example", 80, "127.0.0.1");
  EXPECT_FALSE(d);
  EXPECT_NE(d.message.find("loopback"), std::string::npos);
  EXPECT_NE(d.message.find("rule `*`"), std::string::npos);
  EXPECT_FALSE(p.check_address("http", "x", 80, "169.254.169.254"));
  EXPECT_FALSE(p.check_address("http", "x", 80, "::ffff:127.0.0.1"));
  EXPECT_FALSE(p.check_address("http", "x", 80, "::1"));
  // Named explicitly: by exact host...
  EXPECT_TRUE(p.check_address("http", "localhost", 8080, "127.0.0.1"));
  EXPECT_TRUE(p.check_address("http", "localhost", 8080, "::1"));
  EXPECT_FALSE(p.check_address("http", "localhost", 8081, "127.0.0.1"));
  // ... or by CIDR.
  EXPECT_EQ(p.check_address("https", "db.internal", 443, "10.9.8.7").rule, "10.0.0.0/8:443");
  EXPECT_TRUE(p.check_address("https", "db.internal", 443, "11.9.8.7"));  // public
  EXPECT_TRUE(p.check_address("http", "[x]", 9, "fd00::5"));
  // Public addresses pass with the host rule.
  EXPECT_EQ(p.check_address("https", "example.com", 443, "93.184.216.34").rule, "*");
}

TEST(NetworkPolicy, IpLiteralRules) {
  NetworkPolicy p({"127.0.0.1:*", "[::1]:8080"});
  EXPECT_TRUE(p.check_target("http", "127.0.0.1", 5555));
  EXPECT_TRUE(p.check_address("http", "127.0.0.1", 5555, "127.0.0.1"));
  EXPECT_FALSE(p.check_target("http", "127.0.0.2", 5555));
  EXPECT_TRUE(p.check_target("http", "::1", 8080));
  EXPECT_FALSE(p.check_target("http", "::1", 8081));
  EXPECT_FALSE(p.check_target("http", "localhost", 5555));
}

// Issue 17, item 8: `--allow 0.0.0.0/0` let http_request read http://127.0.0.1/ and a broad CIDR
// covered the metadata address. A CIDR names a special address only when it lies inside the
// address's special range.
TEST(NetworkPolicy, BroadCidrsDoNotCoverSpecialAddresses) {
  NetworkPolicy everything({"0.0.0.0/0:*", "[::]/0:*"});
  for (const char* ip : {"127.0.0.1", "169.254.169.254", "10.0.0.1", "192.168.1.1", "0.0.0.0",
                         "::1", "::ffff:127.0.0.1", "fd00:ec2::254", "fe80::1"}) {
    auto d = everything.check_address("http", ip, 80, ip);
    EXPECT_FALSE(d) << ip;
    EXPECT_NE(d.message.find("is not inside the"), std::string::npos) << d.message;
  }
  EXPECT_TRUE(everything.check_address("http", "example.com", 80, "93.184.216.34"));
  EXPECT_TRUE(everything.check_address("http", "example.com", 80, "2606:2800:220:1::1"));

  NetworkPolicy loopback({"127.0.0.0/8:*"});
  EXPECT_TRUE(loopback.check_address("http", "127.0.0.1", 80, "127.0.0.1"));
  EXPECT_TRUE(loopback.check_address("http", "localhost", 80, "127.0.0.2"));
  EXPECT_FALSE(loopback.check_address("http", "x", 80, "10.0.0.1"));
  EXPECT_TRUE(NetworkPolicy({"127.0.0.1/32:*"}).check_address("http", "h", 80, "127.0.0.1"));
  EXPECT_FALSE(NetworkPolicy({"126.0.0.0/7:*"}).check_address("http", "h", 80, "127.0.0.1"));

  // Private ranges: the /8 or anything inside it, not a supernet.
  EXPECT_TRUE(NetworkPolicy({"10.0.0.0/8:*"}).check_address("http", "h", 80, "10.1.2.3"));
  EXPECT_TRUE(NetworkPolicy({"10.1.0.0/16:*"}).check_address("http", "h", 80, "10.1.2.3"));
  EXPECT_FALSE(NetworkPolicy({"8.0.0.0/5:*"}).check_address("http", "h", 80, "10.1.2.3"));

  // The metadata address sits inside link-local: only a rule naming it exactly opens it.
  EXPECT_FALSE(NetworkPolicy({"169.254.0.0/16:*"}).check_address("http", "h", 80, "169.254.169.254"));
  EXPECT_TRUE(NetworkPolicy({"169.254.0.0/16:*"}).check_address("http", "h", 80, "169.254.1.1"));
  EXPECT_TRUE(NetworkPolicy({"169.254.169.254:*"}).check_address("http", "h", 80, "169.254.169.254"));

  // The same for the IPv6 forms that embed an IPv4 address.
  EXPECT_FALSE(NetworkPolicy({"[64:ff9b::]/96:*"}).check_address("http", "h", 80, "64:ff9b::a9fe:a9fe"));
  EXPECT_FALSE(NetworkPolicy({"[::ffff:0:0]/96:*"}).check_address("http", "h", 80, "::ffff:127.0.0.1"));
  EXPECT_TRUE(NetworkPolicy({"[::ffff:0:0]/96:*"}).check_address("http", "h", 80, "::ffff:93.184.216.34"));
  EXPECT_TRUE(NetworkPolicy({"[fd00::]/8:*"}).check_address("http", "h", 80, "fd00::5"));
  EXPECT_FALSE(NetworkPolicy({"[fc00::]/6:*"}).check_address("http", "h", 80, "fd00::5"));
}

// `::/0` was refused as a bracket-less IPv6 address; it is an IPv6 CIDR.
TEST(NetworkPolicy, BareIpv6CidrsParse) {
  std::string err;
  auto any6 = NetworkPolicy::parse({"::/0"}, &err);
  ASSERT_TRUE(any6) << err;
  EXPECT_FALSE(any6->empty());
  EXPECT_TRUE(any6->check_target("https", "2606:2800:220:1::1", 443));
  EXPECT_FALSE(any6->check_target("https", "2606:2800:220:1::1", 8443));
  EXPECT_FALSE(any6->check_address("https", "h", 443, "::1"));
  auto ula = NetworkPolicy::parse({"fd00::/8:*"}, &err);
  ASSERT_TRUE(ula) << err;
  EXPECT_TRUE(ula->check_address("http", "h", 1234, "fd00::5"));
  EXPECT_FALSE(NetworkPolicy::parse({"::1:80"}, &err));  // still ambiguous without brackets
  EXPECT_FALSE(NetworkPolicy::parse({"::/129"}, &err));
}
