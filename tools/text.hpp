#pragma once
// ASCII text helpers shared by the tools (protocol text: header names, recipients, JSON bodies;
// never the model's prose, whose whitespace is Unicode and handled by harmony).
#include <string>
#include <string_view>

namespace ossa::tools {

// `s` without leading and trailing spaces, tabs, CR and LF.
inline std::string_view trim_ascii(std::string_view s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// `s` with A-Z lowered (other bytes unchanged).
inline std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace ossa::tools
