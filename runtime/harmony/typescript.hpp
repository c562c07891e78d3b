#pragma once
// JSON Schema -> the TypeScript-like text harmony uses for function parameters. Reproduces the
// reference library's output exactly, quirks included (see SPEC §8): nested objects' closing
// braces indented by the child indent, arrays of enums without parentheses, top-level oneOf
// starting with a newline. Keywords it does not know (anyOf, $ref, const, ...) render as `any`.
#include <string>

#include "runtime/harmony/conversation.hpp"
#include "runtime/harmony/result.hpp"

namespace ossa::harmony {

// Linear in the size of the schema. A schema nested deeper than schemas::kMaxJsonDepth (64) is
// an error, not a walk that could overflow the stack.
Result<std::string> schema_to_typescript(const Json& schema, const std::string& indent = "");

}  // namespace ossa::harmony
