#pragma once
// Absolute http(s) URLs: parsing, relative-reference resolution (RFC 3986 section 5) and
// percent-encoding. Small on purpose: the HTTP client, the network policy and the browser's
// link resolution need exactly this much, and Boost.URL would add a compiled library.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ossa::net {

struct Url {
  std::string scheme;    // lowercase: "http", "https", ...
  std::string userinfo;  // before '@', usually empty
  std::string host;      // lowercase; an IPv6 literal is kept without brackets
  std::uint16_t port = 0;  // the explicit port, or the scheme's default (80/443)
  bool explicit_port = false;
  std::string path;      // starts with '/', "/" when empty
  std::string query;     // without '?'; empty when none
  bool has_query = false;
  std::string fragment;  // without '#'

  // host, bracketed when it is an IPv6 literal, plus ":port" when not the scheme's default.
  std::string authority() const;
  // path + ("?" query)
  std::string target() const;
  // The whole URL without the fragment.
  std::string str() const;
  bool host_is_ipv6() const { return host.find(':') != std::string::npos; }
};

// Parses an absolute URL with an authority ("scheme://host..."); nullopt with *error set when it
// is not one (no scheme, empty host, bad port, spaces or control characters...).
std::optional<Url> parse_url(std::string_view text, std::string* error = nullptr);

// Resolves `reference` (absolute, scheme-relative, absolute-path, relative path, query- or
// fragment-only) against `base` the way a browser does; returns the resulting absolute URL text,
// or an empty string when `base` is not absolute and `reference` is not either.
std::string resolve_url(std::string_view base, std::string_view reference);

// Percent-encodes everything outside RFC 3986's unreserved set (for query values and path
// segments substituted into URL templates).
std::string percent_encode(std::string_view text);
// Decodes %XX escapes (invalid escapes are kept as they are).
std::string percent_decode(std::string_view text);

// The default port of "http" (80) and "https" (443); 0 for any other scheme.
std::uint16_t default_port(std::string_view scheme);

}  // namespace ossa::net
