#pragma once
// The built-in namespaces (python, browser) a server offers, in the tools' own words: built the
// way `ossa serve` builds them, from a registry holding the real built-in tools.
#include "runtime/server/serve_command.hpp"
#include "tools/browser/browser_tool.hpp"
#include "tools/builtins.hpp"

namespace ossa::test {

inline harmony::ToolNamespaces builtin_namespaces() {
  tools::Registry registry;
  tools::add_builtin_tools(registry);
  browser::add_browser_tools(registry, browser::make_browser_config({}));
  return server::builtin_namespaces(registry);
}

}  // namespace ossa::test
