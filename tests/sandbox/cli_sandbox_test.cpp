// `ossa sandbox` as a user runs it: exit codes passed through, --json, --check.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/subprocess.hpp"

namespace {

using ossa::test::run_ossa;

// Probed, not assumed: a host without user namespaces or seccomp cannot run any sandbox, and
// these tests then say so instead of failing.
#define SKIP_WITHOUT_SANDBOX()                                                            \
  do {                                                                                    \
    auto probe = run_ossa({"sandbox", "--allow-degraded", "--", "/bin/true"});            \
    if (probe.exit_code != 0) GTEST_SKIP() << "no usable sandbox here: " << probe.err;   \
  } while (0)

// JSON like every command's machine output (issue 19: it printed a text table).
TEST(SandboxCli, CheckPrintsEveryLayerAsJson) {
  auto r = run_ossa({"sandbox", "--check"});
  ASSERT_TRUE(nlohmann::json::accept(r.out)) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(r.exit_code, j["ok"].get<bool>() ? 0 : 1) << r.out << r.err;
  std::vector<std::string> names;
  for (const auto& l : j["layers"]) {
    names.push_back(l["name"]);
    EXPECT_TRUE(l["available"].is_boolean() && l["required"].is_boolean() && l["detail"].is_string());
  }
  for (const char* layer : {"user namespace", "mount namespace", "pid namespace",
                            "network namespace", "seccomp", "landlock", "cgroup memory"})
    EXPECT_NE(std::find(names.begin(), names.end(), layer), names.end()) << layer << "\n" << r.out;
}

TEST(SandboxCli, ExitCodesPassThrough) {
  SKIP_WITHOUT_SANDBOX();
  EXPECT_EQ(run_ossa({"sandbox", "--allow-degraded", "--", "/bin/sh", "-c", "exit 3"}).exit_code, 3);
  EXPECT_EQ(run_ossa({"sandbox", "--allow-degraded", "--", "/bin/sh", "-c", "kill -9 $$"}).exit_code, 128 + 9);
  auto r = run_ossa({"sandbox", "--allow-degraded", "--env", "GREETING=hi", "--", "/usr/bin/python3", "-c",
                     "import os; print(os.environ['GREETING'])"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hi\n");
}

TEST(SandboxCli, JsonRecord) {
  SKIP_WITHOUT_SANDBOX();
  auto r = run_ossa({"sandbox", "--allow-degraded", "--json", "--timeout", "0.3", "--", "/bin/sleep", "10"});
  EXPECT_EQ(r.exit_code, 128 + 9);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["timed_out"].get<bool>());
  EXPECT_EQ(j["signal"], 9);
  EXPECT_TRUE(j["usage"].contains("wall_ms"));
}

TEST(SandboxCli, UsageErrors) {
  EXPECT_EQ(run_ossa({"sandbox"}).exit_code, 2);
  EXPECT_EQ(run_ossa({"sandbox", "--env", "novalue", "--", "/bin/true"}).exit_code, 2);
  EXPECT_EQ(run_ossa({"sandbox", "--net", "host", "--", "/bin/true"}).exit_code, 2);
}

}  // namespace
