#pragma once
// Comma-separated token id lists on the command line (`--tokens 1,2,3`, `--stop 200002,200012`),
// shared by the engine commands.
#include <climits>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/cli/command.hpp"

namespace ossa::cli {

// Parses "1,2,3"; an item that is not a non-negative 32-bit integer is a UsageError naming
// `option`. An empty text gives an empty list.
inline std::vector<std::int32_t> parse_token_ids(const std::string& text, const char* option) {
  std::vector<std::int32_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v < 0 || v > INT32_MAX)
      throw UsageError(std::string(option) + ": '" + item + "' is not a token id");
    out.push_back(static_cast<std::int32_t>(v));
  }
  return out;
}

}  // namespace ossa::cli
