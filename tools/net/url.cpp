#include "tools/net/url.hpp"

#include <cctype>
#include <vector>

namespace ossa::net {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  return true;
}

// The scheme of `ref` when it starts with one ("http:"), else empty.
std::string_view scheme_of(std::string_view ref) {
  auto colon = ref.find(':');
  if (colon == std::string_view::npos) return {};
  auto first_delim = ref.find_first_of("/?#");
  if (first_delim != std::string_view::npos && first_delim < colon) return {};
  std::string_view s = ref.substr(0, colon);
  return valid_scheme(s) ? s : std::string_view{};
}

// RFC 3986 5.2.4.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string> out;
  bool absolute = !path.empty() && path[0] == '/';
  std::size_t i = absolute ? 1 : 0;
  bool trailing_slash = false;
  while (i <= path.size()) {
    auto next = path.find('/', i);
    std::string_view seg =
        path.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i);
    bool last = next == std::string_view::npos;
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = last;
    } else {
      out.emplace_back(seg);
      trailing_slash = false;
    }
    if (last) break;
    i = next + 1;
  }
  std::string result = absolute ? "/" : "";
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (k) result += '/';
    result += out[k];
  }
  if (trailing_slash && (result.empty() || result.back() != '/')) result += '/';
  return result;
}

}  // namespace

std::uint16_t default_port(std::string_view scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;
}

std::string Url::authority() const {
  std::string out = host_is_ipv6() ? "[" + host + "]" : host;
  if (port != default_port(scheme)) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string Url::target() const {
  std::string out = path.empty() ? "/" : path;
  if (has_query) out += "?" + query;
  return out;
}

std::string Url::str() const {
  std::string out = scheme + "://";
  if (!userinfo.empty()) out += userinfo + "@";
  return out + authority() + target();
}

std::optional<Url> parse_url(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Url> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7f) return fail("URL contains a space or control character");
  }
  std::string_view sch = scheme_of(text);
  if (sch.empty()) return fail("URL has no scheme (expected http:// or https://)");
  std::string_view rest = text.substr(sch.size() + 1);
  if (rest.substr(0, 2) != "//") return fail("URL has no host");
  rest.remove_prefix(2);
  Url url;
  url.scheme = lower(sch);
  auto auth_end = rest.find_first_of("/?#");
  std::string_view auth = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);
  auto at = auth.rfind('@');
  if (at != std::string_view::npos) {
    url.userinfo = std::string(auth.substr(0, at));
    auth.remove_prefix(at + 1);
  }
  std::string_view host, port;
  if (!auth.empty() && auth[0] == '[') {
    auto close = auth.find(']');
    if (close == std::string_view::npos) return fail("URL has an unterminated IPv6 address");
    host = auth.substr(1, close - 1);
    std::string_view after = auth.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail("URL has garbage after the IPv6 address");
      port = after.substr(1);
    }
    if (host.find(':') == std::string_view::npos) return fail("bad IPv6 address in URL");
  } else {
    auto colon = auth.rfind(':');
    host = auth.substr(0, colon);
    if (colon != std::string_view::npos) port = auth.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return fail("bad host in URL");
  }
  if (host.empty()) return fail("URL has an empty host");
  for (char c : host) {
    if (c == '%' && sch != "file") return fail("URL host may not contain '%'");
    if (static_cast<unsigned char>(c) >= 0x80) return fail("URL host is not ASCII");
  }
  url.host = lower(host);
  while (!url.host.empty() && url.host.back() == '.') url.host.pop_back();  // "a.com." == "a.com"
  if (url.host.empty()) return fail("URL has an empty host");
  url.port = default_port(url.scheme);
  if (!port.empty()) {
    unsigned long value = 0;
    if (port.size() > 5) return fail("URL port out of range");
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return fail("URL port is not a number");
      value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (value == 0 || value > 65535) return fail("URL port out of range");
    url.port = static_cast<std::uint16_t>(value);
    url.explicit_port = true;
  }
  auto hash = tail.find('#');
  if (hash != std::string_view::npos) {
    url.fragment = std::string(tail.substr(hash + 1));
    tail = tail.substr(0, hash);
  }
  auto q = tail.find('?');
  if (q != std::string_view::npos) {
    url.query = std::string(tail.substr(q + 1));
    url.has_query = true;
    tail = tail.substr(0, q);
  }
  url.path = remove_dot_segments(tail);
  if (url.path.empty()) url.path.assign(1, '/');
  return url;
}

std::string resolve_url(std::string_view base_text, std::string_view ref) {
  // Trim the spaces HTML authors leave around href values.
  while (!ref.empty() && std::isspace(static_cast<unsigned char>(ref.front()))) ref.remove_prefix(1);
  while (!ref.empty() && std::isspace(static_cast<unsigned char>(ref.back()))) ref.remove_suffix(1);
  if (!scheme_of(ref).empty()) {
    if (auto u = parse_url(ref)) {
      std::string out = u->str();
      if (!u->fragment.empty()) out += "#" + u->fragment;
      return out;
    }
    return std::string(ref);  // mailto:, data:, ... kept as written
  }
  auto base = parse_url(base_text);
  if (!base) return {};
  std::string fragment;
  if (auto hash = ref.find('#'); hash != std::string_view::npos) {
    fragment = std::string(ref.substr(hash));
    ref = ref.substr(0, hash);
  }
  std::string joined;
  if (ref.substr(0, 2) == "//") {
    joined = base->scheme + ":" + std::string(ref);
  } else {
    Url u = *base;
    u.fragment.clear();
    if (ref.empty()) {
      // same document
    } else if (ref[0] == '?') {
      u.query = std::string(ref.substr(1));
      u.has_query = true;
    } else {
      std::string_view path = ref, query;
      bool has_query = false;
      if (auto q = ref.find('?'); q != std::string_view::npos) {
        path = ref.substr(0, q);
        query = ref.substr(q + 1);
        has_query = true;
      }
      if (!path.empty() && path[0] == '/') {
        u.path = remove_dot_segments(path);
      } else {
        std::string merged = u.path.substr(0, u.path.rfind('/') + 1) + std::string(path);
        u.path = remove_dot_segments(merged);
      }
      if (u.path.empty()) u.path.assign(1, '/');
      u.query = std::string(query);
      u.has_query = has_query;
    }
    joined = u.str();
  }
  auto parsed = parse_url(joined);
  if (!parsed) return {};
  return parsed->str() + fragment;
}

std::string percent_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && val(text[i + 1]) >= 0 && val(text[i + 2]) >= 0) {
      out += static_cast<char>(val(text[i + 1]) * 16 + val(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace ossa::net
