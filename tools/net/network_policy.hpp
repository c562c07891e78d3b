#pragma once
// The network policy every outgoing request of the runtime passes (HTTP tools, the browser).
//
// Rules are allowlist entries written `[scheme://]host[:port]`:
//   host   exact name ("api.corp.example"), wildcard ("*.corp.example" = any subdomain, "*" = any
//          host), IPv4/IPv6 literal ("127.0.0.1", "[::1]") or CIDR ("10.0.0.0/8", "[fd00::]/8")
//   port   a number or "*"; omitted = the scheme's default port (80/443; both when no scheme)
//   scheme "http" or "https"; omitted = both
// A request is allowed when some rule matches its scheme, host and port (checked before DNS),
// AND every address the host resolves to is allowed (checked after DNS; the client then connects
// only to those checked addresses, so DNS cannot change the answer in between). Addresses in
// special ranges (loopback, private, link-local, cloud metadata, CGNAT, multicast, unspecified,
// reserved; IPv4, IPv6 and IPv4-mapped/compatible IPv6 forms alike) are refused unless a rule
// names them: an IP/CIDR rule containing the address, or an exact-host rule for the requested
// name. Wildcards never open special addresses: integrating an internal API means naming it.
// Every refusal says which rule (or which missing rule) refused.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ossa::net {

struct PolicyDecision {
  bool allowed = false;
  std::string rule;     // the rule that allowed or refused; empty when no rule matched
  std::string message;  // for a refusal: a sentence for the model/user naming the rule
  explicit operator bool() const { return allowed; }
};

// What special range an address (textual IPv4 or IPv6, no brackets) lies in: "loopback",
// "private", "link-local", "cloud metadata", "CGNAT (shared address space)", "multicast",
// "unspecified", "reserved", "broadcast", "documentation", "unique-local"...; nullopt for an
// ordinary public address. IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms are classified
// by their IPv4 address. An unparsable address is "invalid".
std::optional<std::string> special_address_kind(std::string_view ip);

class NetworkPolicy {
 public:
  // No rules: every request is refused.
  NetworkPolicy() = default;
  // Throws std::invalid_argument naming the first malformed rule.
  explicit NetworkPolicy(const std::vector<std::string>& rules);
  // The same, returning nullopt with *error set instead of throwing.
  static std::optional<NetworkPolicy> parse(const std::vector<std::string>& rules,
                                            std::string* error);

  // Before DNS: does some rule allow this scheme, host (lowercase, IPv6 without brackets) and port?
  PolicyDecision check_target(std::string_view scheme, std::string_view host,
                              std::uint16_t port) const;
  // After DNS: may the request for scheme://host:port connect to `ip`?
  PolicyDecision check_address(std::string_view scheme, std::string_view host, std::uint16_t port,
                               std::string_view ip) const;

  const std::vector<std::string>& rules() const { return texts_; }
  bool empty() const { return rules_.empty(); }

  struct Rule;  // parsed form, defined in the .cpp

 private:
  std::vector<std::string> texts_;
  std::vector<std::shared_ptr<const Rule>> rules_;
};

}  // namespace ossa::net
