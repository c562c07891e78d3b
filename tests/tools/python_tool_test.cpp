// The python built-in: a stateful interpreter in a long-lived sandbox, per session.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

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

// Issue 17, item 11: the end-of-cell marker was in /proc/self/cmdline; a cell that printed it
// returned early (timed_out false) while its code kept running, and its later output was shown
// as the next cell's. Now nothing a cell writes, to any descriptor it has, ends it.
TEST_F(PythonTool, CellEndCannotBeForgedFromInside) {
  auto a = cell(R"(
import os, sys, time
argv = open('/proc/self/cmdline', 'rb').read().split(b'\0')
blobs = [a for a in argv if a] + [b'\x1eossa-cell-end-\x1e', b'E\0\0\0\0', b'R\0\0\0\0']
for blob in blobs:
    sys.stdout.buffer.write(blob)
sys.stdout.flush()
for fd in sorted(int(f) for f in os.listdir('/proc/self/fd')):
    for blob in blobs:
        try:
            os.write(fd, blob)
        except OSError:
            pass
for pid in {os.getppid(), 1}:
    for name in ['fd/1', 'mem']:
        try:
            open('/proc/%d/%s' % (pid, name), 'wb').close()
            print('opened /proc/%d/%s' % (pid, name))
        except OSError:
            pass
time.sleep(1)
print('\nstill cell one')
)");
  EXPECT_FALSE(a.is_error) << a.text;
  EXPECT_FALSE(a.metadata["timed_out"].get<bool>());
  EXPECT_NE(a.text.find("\nstill cell one\n"), std::string::npos) << a.text;
  EXPECT_EQ(a.text.find("opened /proc"), std::string::npos) << a.text;
  auto b = cell("print('cell two')");
  EXPECT_EQ(b.text, "cell two\n");
  auto c = cell("3 * 3");
  EXPECT_EQ(c.text, "9\n");
}

// The one way left to end a cell early is to stop the interpreter, and a stopped interpreter
// runs nothing, background threads included, until the next cell continues it.
TEST_F(PythonTool, ACellThatStopsItselfIsFrozenUntilTheNextCell) {
  auto a = cell(R"(
import os, signal, threading, time
def later():
    time.sleep(0.3)
    open('/mnt/data/background', 'w').write('ran')
threading.Thread(target=later).start()
print('before the stop', flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
print('after the stop')
)");
  EXPECT_FALSE(a.metadata["timed_out"].get<bool>());
  EXPECT_EQ(a.text, "before the stop\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_FALSE(std::filesystem::exists(ws.path() / "background"));
  auto b = cell("import time; time.sleep(0.6); print('next')");
  EXPECT_EQ(b.text, "after the stop\nnext\n");
  EXPECT_TRUE(std::filesystem::exists(ws.path() / "background"));
}

// A process the cell started can continue the stopped interpreter between cells; the driver
// sees that and kills the interpreter, and the next cell says so.
TEST_F(PythonTool, ResumingTheInterpreterBetweenCellsKillsIt) {
  auto a = cell(R"(
import os, signal, subprocess
subprocess.Popen(['/bin/sh', '-c', 'sleep 0.3; kill -CONT %d' % os.getpid()])
os.kill(os.getpid(), signal.SIGSTOP)
import time
time.sleep(30)
)");
  EXPECT_FALSE(a.metadata["timed_out"].get<bool>());
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto b = cell("print('next')");
  EXPECT_TRUE(b.is_error) << b.text;
  EXPECT_NE(b.text.find("resumed between cells"), std::string::npos) << b.text;
  auto c = cell("print('fresh')");
  EXPECT_EQ(c.text, "fresh\n");
  EXPECT_TRUE(c.metadata["fresh_interpreter"].get<bool>());
}

// Issue 17, item 3, through the tool: .git is read-only unless the configuration opts out.
TEST_F(PythonTool, GitMetadataIsReadOnlyUnlessOptedOut) {
  ws.write(".git/config", "[core]\n");
  ws.write(".git/hooks/README", "hooks\n");
  const std::string attack =
      "try:\n"
      "    open('/mnt/data/.git/config', 'a').write('\\tfsmonitor = touch /tmp/x\\n')\n"
      "    open('/mnt/data/.git/hooks/post-checkout', 'w').write('#!/bin/sh\\n')\n"
      "    print('written')\n"
      "except OSError as e:\n"
      "    print('refused', e.strerror)";
  auto r = cell(attack);
  EXPECT_EQ(r.text.rfind("refused", 0), 0u) << r.text;
  EXPECT_EQ(ws.read(".git/config"), "[core]\n");
  ctx.session = nullptr;  // a fresh interpreter with the new setting
  ctx.protect_git = false;
  auto w = cell(attack);
  EXPECT_EQ(w.text, "written\n");
  EXPECT_NE(ws.read(".git/config").find("fsmonitor"), std::string::npos);
}
