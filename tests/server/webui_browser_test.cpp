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
#include "tests/server/node_runtime.hpp"

namespace {

using ossa::test::node_command;

// Runs one browser script against the scripted server with Chromium; exit 77 is its one-line skip.
void run_browser_script(const std::string& script, std::vector<std::string> extra) {
  if (auto p = ossa::test::node_version_problem(); !p.empty()) GTEST_SKIP() << p;
  std::vector<std::string> argv = node_command();
  argv.insert(argv.end(), {std::string(OSSA_CLIENTS_DIR) + "/" + script, "--server", OSSA_SCRIPTED_SERVER,
                           "--shots", OSSA_WEBUI_SHOTS_DIR});
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (std::string(OSSA_CHROMIUM).size()) argv.insert(argv.end(), {"--chromium", OSSA_CHROMIUM});
  if (std::string(OSSA_CHROMEDRIVER).size()) argv.insert(argv.end(), {"--chromedriver", OSSA_CHROMEDRIVER});
  auto r = ossa::test::run_process(argv);
  if (r.exit_code == 77) GTEST_SKIP() << r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::cout << r.out;
}

TEST(WebUiBrowser, KeyStreamingToolCardStopMarkupResumeDelete) {
  run_browser_script("webui_browser.mjs", {});
}

// Agent sessions: approvals decided in the page, ossa run's transcripts listed, resumed (after a
// server restart too) and deleted (tests/clients/webui_agent_browser.mjs).
TEST(WebUiBrowser, AgentApprovalsTranscriptsRestartDelete) {
  run_browser_script("webui_agent_browser.mjs", {"--ossa", OSSA_BINARY});
}

// Where Chromium cannot start (no driver at the configured path, no browser), each browser test
// says so in one line and exits 77 (a skip), whatever else the host has.
TEST(WebUiBrowser, SkipsWithOneLineWhereChromiumCannotStart) {
  if (auto p = ossa::test::node_version_problem(); !p.empty()) GTEST_SKIP() << p;
  const std::string missing = (std::filesystem::temp_directory_path() / "ossa-no-such-dir" / "x").string();
  for (const char* script : {"webui_browser.mjs", "webui_agent_browser.mjs"}) {
    for (const char* flag : {"--chromedriver", "--chromium"}) {
      std::vector<std::string> argv = node_command();
      argv.insert(argv.end(), {std::string(OSSA_CLIENTS_DIR) + "/" + script, "--server", OSSA_SCRIPTED_SERVER,
                               "--ossa", OSSA_BINARY, "--shots", OSSA_WEBUI_SHOTS_DIR, flag, missing});
      auto r = ossa::test::run_process(argv);
      EXPECT_EQ(r.exit_code, 77) << script << " " << flag << ": " << r.out << r.err;
      EXPECT_EQ(r.out.rfind("SKIP: ", 0), 0u) << r.out;
      EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "more than one line: " << r.out;
      EXPECT_EQ(r.err, "") << script << " " << flag;
    }
  }
}

}  // namespace
