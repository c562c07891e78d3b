#pragma once
// The saved pages under tests/data/browser/ that the browser tests parse and serve.
#include <fstream>
#include <sstream>
#include <string>

namespace ossa::test {

inline std::string browser_fixture(const std::string& name) {
  std::ifstream in(std::string(OSSA_TEST_DATA_DIR) + "/browser/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ossa::test
