#pragma once
// Internal: UTF-8 validation with the same error model as Rust's std::str::from_utf8 (the
// reference parser's), so replacement characters appear exactly where the reference puts them.
#include <cstddef>
#include <string_view>

namespace ossa::harmony::utf8 {

struct Check {
  size_t valid_up_to;  // bytes before the first problem (== size when all valid)
  size_t error_len;    // length of the invalid sequence at valid_up_to; 0 = incomplete at end
};
Check check(std::string_view bytes);

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

}  // namespace ossa::harmony::utf8
