// The python built-in: a stateful interpreter in a long-lived sandbox, per session.
#include <gtest/gtest.h>

#include "tests/tools/temp_dir.hpp"
#include "tests/tools/tool_test_util.hpp"
#include "tools/builtins.hpp"

using namespace ossa::tools;
using ossa::test::TempDir;

namespace {

class PythonTool : public ::testing::Test {
 protected:
  PythonTool() {
    add_builtin_tools(reg, {.python = true, .shell = false, .apply_patch = false});
    ctx.workspace = ws.path();
    ctx.session = &session;
    ctx.limits.timeout = std::chrono::seconds(20);
  }
  ToolResult cell(const std::string& code) { return ossa::test::call_tool(io, reg, ctx, "python", code); }

  TempDir ws;
  boost::asio::io_context io;
  Registry reg;
  ToolSession session;
  ToolContext ctx;
};

}  // namespace

TEST_F(PythonTool, StateIsKeptAcrossCellsAndLastExpressionIsShown) {
  auto a = cell("x = 41\nimport math");
  EXPECT_FALSE(a.is_error) << a.text;
  EXPECT_NE(a.text.find("[WARN] No output available"), std::string::npos) << a.text;
  EXPECT_TRUE(a.metadata["fresh_interpreter"].get<bool>());
  auto b = cell("print('sqrt', math.sqrt(16))\nx + 1");
  EXPECT_EQ(b.text, "sqrt 4.0\n42\n");
  EXPECT_FALSE(b.metadata["fresh_interpreter"].get<bool>());
  auto c = cell("functions_python = 'via alias'; functions_python");
  EXPECT_EQ(c.text, "'via alias'\n");
  auto via_alias = ossa::test::call_tool(io, reg, ctx, "functions.python", R"({"code": "x * 2"})");
  EXPECT_EQ(via_alias.text, "82\n") << via_alias.text;
}

TEST_F(PythonTool, ErrorsShowTracebackOfTheCell) {
  auto r = cell("def f():\n    return 1 / 0\nf()");
  EXPECT_FALSE(r.is_error);  // the tool worked; the code raised
  EXPECT_NE(r.text.find("ZeroDivisionError: division by zero"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("<cell 1>"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("driver"), std::string::npos) << r.text;
  auto s = cell("def broken(:");
  EXPECT_NE(s.text.find("SyntaxError"), std::string::npos) << s.text;
}

TEST_F(PythonTool, TimeoutRestartsTheInterpreterAndSaysStateIsLost) {
  ctx.limits.timeout = std::chrono::milliseconds(1500);
  cell("kept = 1");
  auto r = cell("print('before', flush=True)\nwhile True: pass");
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(r.metadata["timed_out"].get<bool>());
  EXPECT_NE(r.text.find("before\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("timed out after 1.5 seconds"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("restarted"), std::string::npos);
  auto after = cell("kept");
  EXPECT_NE(after.text.find("NameError"), std::string::npos) << after.text;
  EXPECT_TRUE(after.metadata["fresh_interpreter"].get<bool>());
}

TEST_F(PythonTool, CrashesAreReportedAndTheNextCellWorks) {
  auto seg = cell("import ctypes\nctypes.string_at(0)");
  EXPECT_TRUE(seg.is_error);
  EXPECT_NE(seg.text.find("signal 11 (SIGSEGV)"), std::string::npos) << seg.text;
  auto ok = cell("1 + 1");
  EXPECT_EQ(ok.text, "2\n");
  auto exited = cell("import os\nprint('bye', flush=True)\nos._exit(3)");
  EXPECT_TRUE(exited.is_error);
  EXPECT_NE(exited.text.find("bye\n"), std::string::npos) << exited.text;
  EXPECT_NE(exited.text.find("exited with status 3"), std::string::npos) << exited.text;
  auto sysexit = cell("import sys\nsys.exit(4)");
  EXPECT_FALSE(sysexit.is_error);  // like a notebook: SystemExit is reported, the kernel lives
  EXPECT_NE(sysexit.text.find("SystemExit: 4"), std::string::npos) << sysexit.text;
}

TEST_F(PythonTool, OutputFloodsAreCapped) {
  ctx.limits.max_output_bytes = 1000;
  auto r = cell("import sys\nfor i in range(200000): print('line', i)\nprint('THE END')");
  EXPECT_FALSE(r.is_error) << r.text.substr(0, 300);
  EXPECT_LT(r.text.size(), 1200u);
  EXPECT_EQ(r.text.rfind("line 0\n", 0), 0u);
  EXPECT_NE(r.text.find("bytes of output omitted"), std::string::npos);
  EXPECT_NE(r.text.find("THE END"), std::string::npos);  // the tail is kept
  EXPECT_GT(r.metadata["output_bytes_dropped"].get<std::size_t>(), 1'000'000u);
  // Subprocess output is captured too.
  auto sub = cell("import subprocess\nsubprocess.run(['echo', 'from a child'])\nNone");
  EXPECT_EQ(sub.text, "from a child\n");
}

TEST_F(PythonTool, WorkspaceIsMntDataAndThereIsNoNetwork) {
  ws.write("input.csv", "a,b\n1,2\n");
  auto r = cell("import os\nprint(os.getcwd())\nprint(open('/mnt/data/input.csv').read().strip())\n"
                "open('/mnt/data/out.txt', 'w').write('written inside')");
  EXPECT_EQ(r.text, "/mnt/data\na,b\n1,2\n14\n");
  EXPECT_EQ(ws.read("out.txt"), "written inside");
  auto net = cell("import socket\ns = socket.socket()\ns.settimeout(2)\n"
                  "try:\n    s.connect(('1.1.1.1', 53)); print('connected')\n"
                  "except OSError as e:\n    print('refused', e.errno)");
  EXPECT_EQ(net.text.rfind("refused", 0), 0u) << net.text;
}

TEST_F(PythonTool, WithoutASessionEachCallIsFresh) {
  ctx.session = nullptr;
  cell("y = 5");
  auto r = cell("y");
  EXPECT_NE(r.text.find("NameError"), std::string::npos) << r.text;
}
