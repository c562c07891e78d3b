#pragma once
// The `python` built-in: a stateful notebook-like interpreter per agent session
// (interpreter.hpp), as gpt-oss was trained to expect. The body of a call is Python source.
#include <memory>

#include "tools/tool.hpp"

namespace ossa::tools {

// The namespace description the model is shown (harmony's wording, with this runtime's
// facts: the timeout and that there is no internet access).
std::string python_namespace_description(std::chrono::milliseconds timeout);

std::shared_ptr<Tool> make_python_tool();

}  // namespace ossa::tools
