#pragma once
// `parts` with `sep` between them (the renderer's sections, the TypeScript unions).
#include <cstddef>
#include <string>
#include <vector>

namespace ossa::harmony {

inline std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace ossa::harmony
