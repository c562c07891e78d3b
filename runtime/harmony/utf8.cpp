#include "runtime/harmony/utf8.hpp"

#include <string>

#include "runtime/harmony/tokenizer.hpp"

namespace ossa::harmony::utf8 {
namespace {
bool cont(unsigned char c) { return (c & 0xC0) == 0x80; }
}  // namespace

Check check(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    int width = 0;
    if (b >= 0xC2 && b <= 0xDF) width = 2;
    else if (b >= 0xE0 && b <= 0xEF) width = 3;
    else if (b >= 0xF0 && b <= 0xF4) width = 4;
    if (width == 0) return {i, 1};
    if (i + 1 >= n) return {i, 0};
    const unsigned char c = p[i + 1];
    // The second byte's range excludes overlongs, surrogates and code points above U+10FFFF.
    bool ok = cont(c);
    if (b == 0xE0) ok = c >= 0xA0 && c <= 0xBF;
    else if (b == 0xED) ok = c >= 0x80 && c <= 0x9F;
    else if (b == 0xF0) ok = c >= 0x90 && c <= 0xBF;
    else if (b == 0xF4) ok = c >= 0x80 && c <= 0x8F;
    if (!ok) return {i, 1};
    if (width == 2) {
      i += 2;
      continue;
    }
    if (i + 2 >= n) return {i, 0};
    if (!cont(p[i + 2])) return {i, 2};
    if (width == 3) {
      i += 3;
      continue;
    }
    if (i + 3 >= n) return {i, 0};
    if (!cont(p[i + 3])) return {i, 3};
    i += 4;
  }
  return {n, 0};
}

size_t append_valid(std::string_view bytes, std::string& out, bool final) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    Check c = check(bytes.substr(pos));
    out.append(bytes.substr(pos, c.valid_up_to));
    pos += c.valid_up_to;
    if (pos == bytes.size()) break;
    if (c.error_len == 0) {  // incomplete tail
      if (!final) return pos;
      out.append(kReplacement);
      return bytes.size();
    }
    out.append(kReplacement);
    pos += c.error_len;
  }
  return pos;
}

std::string lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_valid(bytes, out, true);
  return out;
}

bool is_valid(std::string_view bytes) { return check(bytes).valid_up_to == bytes.size(); }

}  // namespace ossa::harmony::utf8
