#pragma once
// The built-in tools: python (system namespace), functions.shell and functions.apply_patch.
// The HTTP/browser tools of tools/net and tools/browser are registered by their own functions.
#include <chrono>
#include <string>
#include <vector>

#include "tools/registry.hpp"

namespace ossa::tools {

struct BuiltinOptions {
  bool python = true;
  bool shell = true;
  bool apply_patch = true;
  std::chrono::milliseconds python_timeout{120'000};  // shown to the model in python's description
};

// Adds the enabled built-ins and the aliases models use for them (container.exec and
// functions.exec -> functions.shell).
void add_builtin_tools(Registry& registry, const BuiltinOptions& options = {});

}  // namespace ossa::tools
