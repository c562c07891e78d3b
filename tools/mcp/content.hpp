#pragma once
// What the model reads of an MCP tools/call result: text as written; images and audio described
// (type, size), never inlined (the model cannot see them and base64 would waste its context);
// embedded resources with their text (binary ones described); resource links listed;
// structuredContent as JSON when no text carries it already. Capped with a marker.
#include <cstddef>

#include "tools/mcp/transport.hpp"
#include "tools/tool.hpp"

namespace ossa::mcp {

// `result` is the CallToolResult object; `isError` makes a failure. Metadata counts the items
// by type.
tools::ToolResult render_call_result(const Json& result, std::size_t max_bytes);

}  // namespace ossa::mcp
