#include "schemas/schemas.hpp"

#include <algorithm>

namespace ossa::schemas {

std::string_view get(std::string_view name) {
  for (const detail::Entry* e = detail::kEntries; !e->name.empty(); ++e)
    if (e->name == name) return e->text;
  return {};
}

std::vector<std::string_view> names() {
  std::vector<std::string_view> out;
  for (const detail::Entry* e = detail::kEntries; !e->name.empty(); ++e) out.push_back(e->name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ossa::schemas
