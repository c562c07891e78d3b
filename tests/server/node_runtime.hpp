#pragma once
// The Node that runs the npm client tests: the one setup.sh fetched from npm where the system's
// is older than 20 (Debian 12 ships 18), else the system's. The including target defines
// OSSA_BUNDLED_NODE (tests/server/CMakeLists.txt).
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/cli/subprocess.hpp"

namespace ossa::test {

inline std::vector<std::string> node_command() {
  if (std::filesystem::exists(OSSA_BUNDLED_NODE)) return {OSSA_BUNDLED_NODE};
  return {"/usr/bin/env", "node"};
}

// Empty when a Node of version 20 or newer runs, else why not.
inline std::string node_version_problem() {
  std::vector<std::string> argv = node_command();
  argv.push_back("--version");
  auto r = run_process(argv);
  if (r.exit_code != 0) return "node is not installed";
  int major = std::atoi(r.out.c_str() + (r.out.rfind('v', 0) == 0 ? 1 : 0));
  if (major < 20) return "node " + r.out + " is older than 20";
  return {};
}

}  // namespace ossa::test
