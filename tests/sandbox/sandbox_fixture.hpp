#pragma once
// Shared helpers of the sandbox suites: a temporary host workspace and running Python snippets
// inside the sandbox (/usr/bin/python3: the PATH python3 here is a shim outside /usr).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "sandbox/sandbox.hpp"

namespace ossa::sandbox::test {

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A kernel without a required layer (namespaces, seccomp) cannot run these at all; one
    // without Landlock or writable cgroups still must pass them, on rlimits alone.
    for (const Layer& layer : Sandbox::check()) {
      if (layer.required && !layer.available) GTEST_SKIP() << layer.name << ": " << layer.detail;
    }
    policy_.allow_degraded = true;
    char tmpl[] = "/tmp/ossa-sandbox-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    workspace_ = root_ / "ws";
    std::filesystem::create_directory(workspace_);
    policy_.workspace = workspace_;
    policy_.limits.wall_timeout = std::chrono::seconds(20);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  Output py(const std::string& code, std::string_view input = {}) {
    return Sandbox::run(policy_, {"/usr/bin/python3", "-c", code}, input);
  }
  Output sh(const std::string& script) { return Sandbox::run(policy_, {"/bin/sh", "-c", script}); }

  std::filesystem::path root_;       // host-side scratch directory (outside the workspace)
  std::filesystem::path workspace_;  // root_/ws, mounted at /workspace
  Policy policy_;
};

// "ok" printed last by a snippet that checked everything it tried.
inline ::testing::AssertionResult PrintedOk(const Output& o) {
  if (o.result.status() == 0 && o.out.size() >= 3 && o.out.substr(o.out.size() - 3) == "ok\n")
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "status " << o.result.status() << "\nstdout: " << o.out
                                       << "\nstderr: " << o.err;
}

}  // namespace ossa::sandbox::test
