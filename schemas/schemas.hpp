#pragma once
// The JSON Schema files of schemas/, compiled into the binary.
#include <string_view>
#include <vector>

namespace ossa::schemas {

// The text of schemas/<name> (e.g. "tool.schema.json"); empty when there is no such file.
std::string_view get(std::string_view name);

// Names of every embedded schema file, sorted.
std::vector<std::string_view> names();

namespace detail {
struct Entry {
  std::string_view name;
  std::string_view text;
};
extern const Entry kEntries[];  // ends with an entry whose name is empty
}  // namespace detail

}  // namespace ossa::schemas
