// The web UI in headless Chromium (tests/clients/webui_browser.mjs, WebDriver over node's
// fetch to Debian's chromedriver) against ossa_scripted_server: API key, streaming, a tool card,
// Stop, model markup as text, a session reopened and resumed after a server restart, delete.
// Skips with one line only where Chromium cannot start (not installed, or it fails to launch).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/cli/subprocess.hpp"

namespace {

// The Node setup.sh fetched from npm where the system's is older than 20, else the system's.
std::vector<std::string> node_command() {
  if (std::filesystem::exists(OSSA_BUNDLED_NODE)) return {OSSA_BUNDLED_NODE};
  return {"/usr/bin/env", "node"};
}

std::string node_problem() {
  std::vector<std::string> argv = node_command();
  argv.push_back("--version");
  auto r = ossa::test::run_process(argv);
  if (r.exit_code != 0) return "node is not installed";
  int major = std::atoi(r.out.c_str() + (r.out.rfind('v', 0) == 0 ? 1 : 0));
  if (major < 20) return "node " + r.out + " is older than 20";
  return {};
}

TEST(WebUiBrowser, KeyStreamingToolCardStopMarkupResumeDelete) {
  if (auto p = node_problem(); !p.empty()) GTEST_SKIP() << p;
  std::vector<std::string> argv = node_command();
  argv.insert(argv.end(), {std::string(OSSA_CLIENTS_DIR) + "/webui_browser.mjs", "--server",
                           OSSA_SCRIPTED_SERVER, "--shots", OSSA_WEBUI_SHOTS_DIR});
  if (std::string(OSSA_CHROMIUM).size()) argv.insert(argv.end(), {"--chromium", OSSA_CHROMIUM});
  if (std::string(OSSA_CHROMEDRIVER).size()) argv.insert(argv.end(), {"--chromedriver", OSSA_CHROMEDRIVER});
  auto r = ossa::test::run_process(argv);
  if (r.exit_code == 77) GTEST_SKIP() << r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::cout << r.out;
}

}  // namespace
