#include "tools/net/network_policy.hpp"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "tools/net/url.hpp"

namespace ossa::net {
namespace {

// Every address is kept in IPv6 form; IPv4 a.b.c.d is ::ffff:a.b.c.d, so one CIDR test fits both.
using Bytes = std::array<unsigned char, 16>;

std::optional<Bytes> parse_ip(std::string_view text) {
  if (text.size() > 63) return std::nullopt;
  std::string s(text);
  if (!s.empty() && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  Bytes b{};
  unsigned char v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) {
    b[10] = b[11] = 0xff;
    std::memcpy(b.data() + 12, v4, 4);
    return b;
  }
  if (s.find('%') != std::string::npos) return std::nullopt;  // zone ids are never allowed
  if (inet_pton(AF_INET6, s.c_str(), b.data()) == 1) return b;
  return std::nullopt;
}

bool in_prefix(const Bytes& a, const Bytes& net, int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((a[static_cast<std::size_t>(i)] & mask) != (net[static_cast<std::size_t>(i)] & mask))
      return false;
  }
  return true;
}

bool is_mapped_v4(const Bytes& b) {
  for (int i = 0; i < 10; ++i)
    if (b[static_cast<std::size_t>(i)]) return false;
  return b[10] == 0xff && b[11] == 0xff;
}

// A special range: what it is and the prefix it spans (IPv6 form), so a CIDR rule can be
// checked for lying inside it.
struct Special {
  std::string kind;
  Bytes net{};
  int prefix = 128;
};

// The special range of an IPv4 address (4 bytes); `embed(v4net, bits)` turns the IPv4 range
// into the IPv6 range of the form the address was written in.
template <class Embed>
std::optional<Special> v4_special(const unsigned char* a, Embed embed) {
  std::optional<Special> found;
  auto in = [&](const char* kind, unsigned char x0, unsigned char x1, unsigned char x2,
                unsigned char x3, int bits) {
    if (found) return;
    Bytes net{}, addr{};
    net[0] = x0, net[1] = x1, net[2] = x2, net[3] = x3;
    std::memcpy(addr.data(), a, 4);
    if (!in_prefix(addr, net, bits)) return;
    Special s{kind, {}, 0};
    std::tie(s.net, s.prefix) = embed(net.data(), bits);
    found = std::move(s);
  };
  // Metadata endpoints first: several sit inside broader ranges or even public space (Azure).
  in("cloud metadata", 169, 254, 169, 254, 32);
  in("cloud metadata", 169, 254, 170, 2, 32);
  in("cloud metadata", 100, 100, 100, 200, 32);
  in("cloud metadata", 168, 63, 129, 16, 32);
  in("unspecified", 0, 0, 0, 0, 8);
  in("loopback", 127, 0, 0, 0, 8);
  in("private", 10, 0, 0, 0, 8);
  in("private", 172, 16, 0, 0, 12);
  in("private", 192, 168, 0, 0, 16);
  in("CGNAT (shared address space)", 100, 64, 0, 0, 10);
  in("link-local", 169, 254, 0, 0, 16);
  in("reserved", 192, 0, 0, 0, 24);
  in("reserved", 198, 18, 0, 0, 15);
  in("documentation", 192, 0, 2, 0, 24);
  in("documentation", 198, 51, 100, 0, 24);
  in("documentation", 203, 0, 113, 0, 24);
  in("multicast", 224, 0, 0, 0, 4);
  in("broadcast", 255, 255, 255, 255, 32);
  in("reserved", 240, 0, 0, 0, 4);
  return found;
}

// An IPv4 range placed at byte `at` of an IPv6 prefix `head` of `head_bits` bits.
auto embedder(const char* head, int head_bits, std::size_t at) {
  return [head, head_bits, at](const unsigned char* v4net, int bits) {
    Bytes net{};
    inet_pton(AF_INET6, head, net.data());
    std::memcpy(net.data() + at, v4net, 4);
    return std::pair<Bytes, int>(net, head_bits + bits);
  };
}

std::optional<Special> special_of(const Bytes& b) {
  if (is_mapped_v4(b)) return v4_special(b.data() + 12, embedder("::ffff:0:0", 96, 12));
  auto in6 = [&](const char* net_text, int bits) {
    Bytes net{};
    inet_pton(AF_INET6, net_text, net.data());
    return in_prefix(b, net, bits);
  };
  auto range = [](std::string kind, const char* net_text, int bits) {
    Special s{std::move(kind), {}, bits};
    inet_pton(AF_INET6, net_text, s.net.data());
    return std::optional<Special>(std::move(s));
  };
  if (in6("::", 128)) return range("unspecified", "::", 128);
  if (in6("::1", 128)) return range("loopback", "::1", 128);
  // Forms that embed an IPv4 address a stack or a gateway may turn into that IPv4 address.
  if (in6("::", 96)) {
    if (auto k = v4_special(b.data() + 12, embedder("::", 96, 12))) return k;
    return range("reserved (IPv4-compatible)", "::", 96);
  }
  if (in6("64:ff9b::", 96))  // NAT64 of a public address is a public destination
    return v4_special(b.data() + 12, embedder("64:ff9b::", 96, 12));
  if (in6("64:ff9b:1::", 48)) return range("private", "64:ff9b:1::", 48);
  if (in6("2002::", 16))  // 6to4 of a special address
    return v4_special(b.data() + 2, embedder("2002::", 16, 2));
  if (in6("fd00:ec2::254", 128)) return range("cloud metadata", "fd00:ec2::254", 128);
  if (in6("100::", 64)) return range("reserved", "100::", 64);
  if (in6("2001::", 32)) return range("reserved (Teredo)", "2001::", 32);
  if (in6("2001:db8::", 32)) return range("documentation", "2001:db8::", 32);
  if (in6("fc00::", 7)) return range("unique-local", "fc00::", 7);
  if (in6("fe80::", 10)) return range("link-local", "fe80::", 10);
  if (in6("fec0::", 10)) return range("site-local", "fec0::", 10);
  if (in6("ff00::", 8)) return range("multicast", "ff00::", 8);
  if (!in6("2000::", 3)) {  // everything outside global unicast, as the /3 block it lies in
    Special s{"reserved", {}, 3};
    s.net[0] = static_cast<unsigned char>(b[0] & 0xe0);
    return s;
  }
  return std::nullopt;
}

std::optional<std::string> kind_of(const Bytes& b) {
  if (auto s = special_of(b)) return s->kind;
  return std::nullopt;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

struct NetworkPolicy::Rule {
  enum class HostKind { any, suffix, exact, network } host_kind = HostKind::exact;
  std::string text;
  std::string scheme;  // "" = http and https
  std::string host;    // exact name, or the suffix with its leading '.'
  Bytes net{};
  int prefix = 128;
  enum class PortKind { any, defaults, exact } port_kind = PortKind::defaults;
  std::uint16_t port = 0;

  bool scheme_port_match(std::string_view s, std::uint16_t p) const {
    if (scheme.empty() ? (s != "http" && s != "https") : s != scheme) return false;
    switch (port_kind) {
      case PortKind::any: return true;
      case PortKind::exact: return p == port;
      case PortKind::defaults: return p == default_port(s);
    }
    return false;
  }
  bool host_match(std::string_view h) const {
    switch (host_kind) {
      case HostKind::any: return true;
      case HostKind::suffix: return h.size() > host.size() && h.ends_with(host);
      case HostKind::exact: return h == host;
      case HostKind::network: {
        auto b = parse_ip(h);
        return b && in_prefix(*b, net, prefix);
      }
    }
    return false;
  }
  // Does this rule name `ip` (reached through the name `h`, lying in the special range
  // `special`) explicitly? A CIDR names a special address only when the whole CIDR lies inside
  // that range: 127.0.0.0/8 names loopback, 0.0.0.0/0 or 169.254.0.0/16 (around the metadata
  // address) do not.
  bool names_address(std::string_view h, const Bytes& ip, const Special& special) const {
    if (host_kind == HostKind::network)
      return in_prefix(ip, net, prefix) && prefix >= special.prefix &&
             in_prefix(net, special.net, special.prefix);
    return host_kind == HostKind::exact && h == host;
  }
};

namespace {

std::shared_ptr<const NetworkPolicy::Rule> parse_rule(const std::string& text, std::string* error) {
  using Rule = NetworkPolicy::Rule;
  auto fail = [&](const std::string& why) -> std::shared_ptr<const Rule> {
    *error = "network rule `" + text + "`: " + why;
    return nullptr;
  };
  auto rule = std::make_shared<Rule>();
  rule->text = text;
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return fail("empty rule");
  if (auto p = s.find("://"); p != std::string_view::npos) {
    rule->scheme = lower(s.substr(0, p));
    if (rule->scheme != "http" && rule->scheme != "https")
      return fail("scheme must be http or https");
    s.remove_prefix(p + 3);
  }
  if (!s.empty() && s.back() == '/') s.remove_suffix(1);
  std::string_view host, port;
  bool had_port = false;
  // An IPv6 address in brackets ([::1]:8080, [fd00::]/8), or an IPv6 CIDR without them (::/0,
  // fd00::/8:443): the prefix length after `/` makes the address's end unambiguous.
  std::size_t cidr_slash = s.find('/');
  bool bare_v6_cidr = !s.empty() && s.front() != '[' && cidr_slash != std::string_view::npos &&
                      s.substr(0, cidr_slash).find(':') != std::string_view::npos;
  if (bare_v6_cidr || (!s.empty() && s.front() == '[')) {
    std::string_view after;
    if (bare_v6_cidr) {
      host = s.substr(0, cidr_slash);
      after = s.substr(cidr_slash);
    } else {
      auto close = s.find(']');
      if (close == std::string_view::npos) return fail("unterminated [IPv6 address]");
      host = s.substr(1, close - 1);
      after = s.substr(close + 1);
    }
    if (!after.empty() && after.front() == '/') {  // [fd00::]/8
      auto colon = after.find(':');
      std::string prefix(after.substr(1, colon == std::string_view::npos ? after.npos : colon - 1));
      rule->host = std::string(host) + "/" + prefix;
      after = colon == std::string_view::npos ? "" : after.substr(colon);
      host = rule->host;
    }
    if (!after.empty()) {
      if (after.front() != ':') return fail("expected :port after the address");
      port = after.substr(1);
      had_port = true;
    }
  } else {
    auto colon = s.rfind(':');
    if (colon != std::string_view::npos && s.find(':') != colon)
      return fail("write IPv6 addresses in brackets: [::1]:8080");
    host = s.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = s.substr(colon + 1);
      had_port = true;
    }
  }
  std::string h = lower(host);
  if (h.empty()) return fail("empty host");
  if (had_port) {
    if (port == "*") {
      rule->port_kind = Rule::PortKind::any;
    } else {
      unsigned long v = 0;
      if (port.empty() || port.size() > 5) return fail("bad port");
      for (char c : port) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return fail("bad port");
        v = v * 10 + static_cast<unsigned long>(c - '0');
      }
      if (v == 0 || v > 65535) return fail("port out of range");
      rule->port_kind = Rule::PortKind::exact;
      rule->port = static_cast<std::uint16_t>(v);
    }
  }
  if (h == "*") {
    rule->host_kind = Rule::HostKind::any;
  } else if (h.starts_with("*.")) {
    rule->host_kind = Rule::HostKind::suffix;
    rule->host = h.substr(1);
    if (rule->host.size() < 2 || rule->host.find('*') != std::string::npos)
      return fail("bad wildcard (use *.example.com)");
  } else if (auto slash = h.find('/'); slash != std::string::npos || parse_ip(h)) {
    std::string addr = slash == std::string::npos ? h : h.substr(0, slash);
    auto b = parse_ip(addr);
    if (!b) return fail("bad IP address `" + addr + "`");
    bool v4 = addr.find(':') == std::string::npos;
    int max_bits = v4 ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string::npos) {
      std::string p = h.substr(slash + 1);
      if (p.empty() || p.size() > 3) return fail("bad prefix length");
      bits = 0;
      for (char c : p) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return fail("bad prefix length");
        bits = bits * 10 + (c - '0');
      }
      if (bits > max_bits) return fail("prefix length too long");
    }
    rule->host_kind = Rule::HostKind::network;
    rule->net = *b;
    rule->prefix = v4 ? bits + 96 : bits;
  } else {
    for (char c : h) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
        return fail("bad character in host");
    }
    while (!h.empty() && h.back() == '.') h.pop_back();
    rule->host_kind = Rule::HostKind::exact;
    rule->host = h;
  }
  return rule;
}

std::string describe_rules(const std::vector<std::string>& texts) {
  if (texts.empty()) return "no network rules are configured";
  std::string out = "rules: ";
  for (std::size_t i = 0; i < texts.size(); ++i) out += (i ? ", `" : "`") + texts[i] + "`";
  return out;
}

std::string endpoint_text(std::string_view scheme, std::string_view host, std::uint16_t port) {
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return std::string(scheme) + "://" + h + ":" + std::to_string(port);
}

}  // namespace

std::optional<std::string> special_address_kind(std::string_view ip) {
  auto b = parse_ip(ip);
  if (!b) return "invalid";
  return kind_of(*b);
}

NetworkPolicy::NetworkPolicy(const std::vector<std::string>& rules) {
  std::string error;
  auto parsed = parse(rules, &error);
  if (!parsed) throw std::invalid_argument(error);
  *this = std::move(*parsed);
}

std::optional<NetworkPolicy> NetworkPolicy::parse(const std::vector<std::string>& rules,
                                                  std::string* error) {
  NetworkPolicy p;
  std::string local;
  for (const auto& text : rules) {
    auto r = parse_rule(text, error ? error : &local);
    if (!r) return std::nullopt;
    p.rules_.push_back(std::move(r));
    p.texts_.push_back(text);
  }
  return p;
}

PolicyDecision NetworkPolicy::check_target(std::string_view scheme, std::string_view host,
                                           std::uint16_t port) const {
  std::string h = lower(host);
  for (const auto& r : rules_) {
    if (r->scheme_port_match(scheme, port) && r->host_match(h))
      return {true, r->text, {}};
  }
  return {false, {},
          "refused by network policy: no rule allows " + endpoint_text(scheme, h, port) + " (" +
              describe_rules(texts_) + ")"};
}

PolicyDecision NetworkPolicy::check_address(std::string_view scheme, std::string_view host,
                                            std::uint16_t port, std::string_view ip) const {
  std::string h = lower(host);
  auto b = parse_ip(ip);
  if (!b) return {false, {}, "refused by network policy: unusable address `" + std::string(ip) + "`"};
  auto special = special_of(*b);
  std::optional<std::string> kind;
  if (special) kind = special->kind;
  const Rule* host_rule = nullptr;
  for (const auto& r : rules_) {
    if (!r->scheme_port_match(scheme, port)) continue;
    if (special) {
      if (r->names_address(h, *b, *special)) return {true, r->text, {}};
    } else if (r->host_match(h) ||
               (r->host_kind == Rule::HostKind::network && in_prefix(*b, r->net, r->prefix))) {
      return {true, r->text, {}};
    }
    if (!host_rule && r->host_match(h)) host_rule = r.get();
  }
  if (!kind) {
    return {false, {},
            "refused by network policy: no rule allows " + endpoint_text(scheme, h, port) + " (" +
                describe_rules(texts_) + ")"};
  }
  std::string ip_text(ip);
  std::string msg = "refused by network policy: " + std::string(host);
  if (h != lower(ip_text)) msg += " resolves to " + ip_text + ",";
  msg += " a " + *kind + " address, and no rule names it";
  if (host_rule) {
    msg += " (rule `" + host_rule->text + "` matches the host but " +
           (host_rule->host_kind == Rule::HostKind::network
                ? std::string("is not inside the " + *kind + " range")
                : std::string("wildcard rules never cover special addresses")) +
           ")";
  } else {
    msg += " (" + describe_rules(texts_) + ")";
  }
  msg += "; to allow it, add an explicit rule such as `" + std::string(scheme) + "://" +
         (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(port) +
         "`";
  return {false, {}, msg};
}

}  // namespace ossa::net
