// `ossa sandbox` as a user runs it: exit codes passed through, --json, --check.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

TEST(SandboxCli, CheckPrintsOneLinePerLayer) {
  auto r = run_ossa({"sandbox", "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* layer : {"user namespace:", "mount namespace:", "pid namespace:",
                            "network namespace:", "seccomp:", "landlock:", "cgroup memory:"})
    EXPECT_NE(r.out.find(layer), std::string::npos) << layer << "\n" << r.out;
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
