#pragma once
// How deeply a JSON value nests, measured without recursion. JSON from outside (tool files,
// JSON Schemas, the model's arguments, conversations) is checked with it before anything walks
// it recursively (schema compilers, renderers, validators), so a hostile document nested
// thousands deep is an error message, not a stack overflow.
#include <cstddef>
#include <utility>
#include <vector>

namespace ossa::schemas {

// The nesting accepted in schemas and arguments: far beyond any real tool's, far below what
// recursive walkers can take.
inline constexpr std::size_t kMaxJsonDepth = 64;

// The depth of `value` (a scalar or an empty container is 1; each container level adds 1),
// counted up to `limit + 1` at most: a result above `limit` means "too deep". Linear in the
// size of what is visited. `J` is any nlohmann::basic_json.
template <class J>
std::size_t json_depth(const J& value, std::size_t limit = kMaxJsonDepth) {
  std::size_t deepest = 0;
  std::vector<std::pair<const J*, std::size_t>> stack{{&value, 1}};
  while (!stack.empty()) {
    auto [v, d] = stack.back();
    stack.pop_back();
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    if (v->is_structured())
      for (const auto& child : *v) stack.emplace_back(&child, d + 1);
  }
  return deepest;
}

}  // namespace ossa::schemas
