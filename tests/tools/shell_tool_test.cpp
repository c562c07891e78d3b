// functions.shell: a command in the workspace sandbox.
#include <gtest/gtest.h>

#include "tests/tools/temp_dir.hpp"
#include "tests/tools/tool_test_util.hpp"
#include "tools/builtins.hpp"

using namespace ossa::tools;
using ossa::test::TempDir;

namespace {
class ShellTool : public ::testing::Test {
 protected:
  ShellTool() {
    add_builtin_tools(reg, {.python = false, .shell = true, .apply_patch = false});
    ctx.workspace = ws.path();
    ctx.limits.timeout = std::chrono::seconds(20);
  }
  ToolResult run(const Json& args) { return ossa::test::call_tool(io, reg, ctx, "functions.shell", args.dump()); }
  TempDir ws;
  boost::asio::io_context io;
  Registry reg;
  ToolContext ctx;
};
}  // namespace

TEST_F(ShellTool, RunsInTheWorkspace) {
  ws.write("sub/data.txt", "hello\n");
  auto r = run({{"command", {"bash", "-c", "pwd; cat data.txt; echo made > new.txt; echo oops >&2; exit 3"}},
                {"workdir", "sub"}});
  EXPECT_FALSE(r.is_error) << r.text;
  EXPECT_NE(r.text.find("Exit code: 3"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("/mnt/data/sub\nhello\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("Stderr:\noops"), std::string::npos) << r.text;
  EXPECT_EQ(ws.read("sub/new.txt"), "made\n");
  EXPECT_EQ(r.metadata["exit_code"], 3);
}

TEST_F(ShellTool, TimeoutKillsTheCommand) {
  auto r = run({{"command", {"sleep", "30"}}, {"timeout_ms", 500}});
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(r.metadata["timed_out"].get<bool>());
  EXPECT_NE(r.text.find("timed out"), std::string::npos) << r.text;
}

TEST_F(ShellTool, BadArgumentsAndEscapesAreRefused) {
  auto missing = ossa::test::call_tool(io, reg, ctx, "functions.shell", R"({"cmd": "ls"})");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("missing required argument `command`"), std::string::npos) << missing.text;
  auto escape = run({{"command", {"ls"}}, {"workdir", "../.."}});
  EXPECT_TRUE(escape.is_error);
  EXPECT_NE(escape.text.find("inside the workspace"), std::string::npos);
  auto alias = ossa::test::call_tool(io, reg, ctx, "container.exec", R"({"command": ["true"]})");
  EXPECT_FALSE(alias.is_error) << alias.text;
}

// One workspace path inside the sandbox for every tool, told to the model the same way: a file
// python writes at /mnt/data is there for the shell, and both descriptions name that path.
TEST(WorkspacePath, PythonAndShellShareOnePathAndSayIt) {
  TempDir ws;
  boost::asio::io_context io;
  Registry reg;
  add_builtin_tools(reg, {.python = true, .shell = true, .apply_patch = false});
  ToolContext ctx;
  ctx.workspace = ws.path();
  ctx.limits.timeout = std::chrono::seconds(20);
  ToolSession session;
  ctx.session = &session;
  const std::string mount = kWorkspaceMount;
  EXPECT_NE(reg.system_tools()["python"]["description"].get<std::string>().find("'" + mount + "'"),
            std::string::npos);
  EXPECT_NE(reg.find("functions.shell")->spec().description.find("'" + mount + "'"),
            std::string::npos);
  auto py = ossa::test::call_tool(io, reg, ctx, "python",
                                  "import os\nopen('" + mount + "/p.txt', 'w').write('from python')\n"
                                  "print(os.getcwd())");
  ASSERT_FALSE(py.is_error) << py.text;
  EXPECT_NE(py.text.find(mount), std::string::npos) << py.text;
  auto sh = ossa::test::call_tool(io, reg, ctx, "functions.shell",
                                  Json{{"command", {"bash", "-c", "pwd; cat " + mount + "/p.txt"}}}.dump());
  EXPECT_FALSE(sh.is_error) << sh.text;
  EXPECT_NE(sh.text.find(mount + "\nfrom python"), std::string::npos) << sh.text;
}

// Issue 17, item 10: the workspace write budget reaches the tool, and the model reads why its
// command died; once the workspace is past the budget, the next command is refused with the fix.
TEST_F(ShellTool, WorkspaceWriteBudgetKillsAndThenRefuses) {
  ctx.limits.workspace_write_mib = 4;
  auto r = run({{"command",
                 {"bash", "-c", "for i in $(seq 100); do head -c 1048576 /dev/zero > f$i; sleep 0.02; done; echo done"}}});
  EXPECT_TRUE(r.is_error) << r.text;
  EXPECT_NE(r.text.find("byte budget"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("done"), std::string::npos) << r.text;
  auto again = run({{"command", {"true"}}});
  EXPECT_TRUE(again.is_error);
  EXPECT_NE(again.text.find("remove files"), std::string::npos) << again.text;
}
