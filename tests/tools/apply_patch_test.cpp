// apply_patch: the Codex/gpt-oss patch language applied to a workspace, all files or none.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdio.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "tests/tools/temp_dir.hpp"
#include "tests/tools/tool_test_util.hpp"
#include "tools/patch/apply_patch.hpp"
#include "tools/patch/patch.hpp"

using ossa::test::TempDir;
using ossa::tools::apply_patch;

TEST(ApplyPatch, AddUpdateMoveDelete) {
  TempDir ws;
  ws.write("src/app.py", "import os\n\ndef greet():\n    print(\"Hi\")\n    return 1\n\nprint(greet())\n");
  ws.write("old.txt", "bye\n");
  ws.write("a/name.txt", "one\ntwo\nthree\n");
  auto r = apply_patch(ws.path(),
                       "*** Begin Patch\n"
                       "*** Add File: notes/todo.txt\n+write tests\n+ship\n"
                       "*** Update File: src/app.py\n"
                       "@@ def greet():\n-    print(\"Hi\")\n+    print(\"Hello\")\n     return 1\n"
                       "*** Update File: a/name.txt\n*** Move to: b/renamed.txt\n@@\n one\n-two\n+TWO\n"
                       "*** Delete File: old.txt\n"
                       "*** End Patch\n");
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(ws.read("notes/todo.txt"), "write tests\nship\n");
  EXPECT_EQ(ws.read("src/app.py"),
            "import os\n\ndef greet():\n    print(\"Hello\")\n    return 1\n\nprint(greet())\n");
  EXPECT_FALSE(ws.exists("a/name.txt"));
  EXPECT_EQ(ws.read("b/renamed.txt"), "one\nTWO\nthree\n");
  EXPECT_FALSE(ws.exists("old.txt"));
  EXPECT_NE(r.message.find("A notes/todo.txt"), std::string::npos);
  EXPECT_NE(r.message.find("M a/name.txt -> b/renamed.txt"), std::string::npos);
  EXPECT_NE(r.message.find("D old.txt"), std::string::npos);
}

TEST(ApplyPatch, MultipleChunksEndOfFileAndWhitespaceTolerance) {
  TempDir ws;
  ws.write("f.txt", "a\nb\nc\nd\ne\nf\n  g  \nlast\n");
  auto r = apply_patch(ws.path(),
                       "*** Begin Patch\n*** Update File: f.txt\n@@\n a\n-b\n+B\n@@\n e\n f\n-g\n+G\n"
                       "@@\n-last\n+LAST\n*** End of File\n*** End Patch");
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(ws.read("f.txt"), "a\nB\nc\nd\ne\nf\nG\nLAST\n");
}

TEST(ApplyPatch, FailedHunkLeavesEveryFileUntouched) {
  TempDir ws;
  ws.write("one.txt", "alpha\nbeta\n");
  ws.write("two.txt", "gamma\ndelta\nepsilon\n");
  auto r = apply_patch(ws.path(),
                       "*** Begin Patch\n*** Add File: new.txt\n+x\n"
                       "*** Update File: one.txt\n@@\n-alpha\n+ALPHA\n"
                       "*** Update File: two.txt\n@@\n gamma\n-DELTA-not-there\n+z\n"
                       "*** Delete File: one.txt\n*** End Patch");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(ws.read("one.txt"), "alpha\nbeta\n");
  EXPECT_EQ(ws.read("two.txt"), "gamma\ndelta\nepsilon\n");
  EXPECT_FALSE(ws.exists("new.txt"));
  // Precise: which file, which chunk, what was expected and where the file differs.
  EXPECT_NE(r.message.find("`two.txt`, chunk 1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("DELTA-not-there"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("line 1 of the file matches the first 1 line(s)"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("`delta`"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("No files were changed."), std::string::npos);
}

TEST(ApplyPatch, PathEscapesAreRefused) {
  TempDir outside;
  TempDir ws;
  outside.write("secret.txt", "keep\n");
  std::filesystem::create_directory_symlink(outside.path(), ws.path() / "link");
  for (const std::string& path :
       {std::string("../escape.txt"), std::string("a/../../escape.txt"),
        (outside.path() / "secret.txt").string(), std::string("link/secret.txt")}) {
    auto r = apply_patch(ws.path(), "*** Begin Patch\n*** Add File: " + path + "\n+pwned\n*** End Patch");
    EXPECT_FALSE(r.ok) << path;
    EXPECT_TRUE(r.message.find("outside the workspace") != std::string::npos ||
                r.message.find("symbolic link") != std::string::npos)
        << r.message;
  }
  EXPECT_EQ(outside.read("secret.txt"), "keep\n");
  EXPECT_FALSE(std::filesystem::exists(ws.path().parent_path() / "escape.txt"));
  // An absolute path inside the workspace is fine.
  auto in = apply_patch(ws.path(), "*** Begin Patch\n*** Add File: " + (ws.path() / "ok.txt").string() +
                                       "\n+fine\n*** End Patch");
  EXPECT_TRUE(in.ok) << in.message;
  EXPECT_EQ(ws.read("ok.txt"), "fine\n");
}

TEST(ApplyPatch, MalformedPatchesNameTheLine) {
  TempDir ws;
  ws.write("f.txt", "x\n");
  auto no_begin = apply_patch(ws.path(), "*** Update File: f.txt\n@@\n-x\n+y\n*** End Patch");
  EXPECT_NE(no_begin.message.find("*** Begin Patch"), std::string::npos);
  auto bad_line = apply_patch(ws.path(), "*** Begin Patch\n*** Update File: f.txt\n@@\n-x\n?y\n*** End Patch");
  EXPECT_NE(bad_line.message.find("line 5"), std::string::npos) << bad_line.message;
  auto missing = apply_patch(ws.path(), "*** Begin Patch\n*** Delete File: nope.txt\n*** End Patch");
  EXPECT_NE(missing.message.find("no such file"), std::string::npos);
  auto empty = apply_patch(ws.path(), "*** Begin Patch\n*** End Patch");
  EXPECT_FALSE(empty.ok);
  auto ctx = apply_patch(ws.path(), "*** Begin Patch\n*** Update File: f.txt\n@@ def nowhere():\n-x\n+y\n*** End Patch");
  EXPECT_NE(ctx.message.find("context line `@@ def nowhere():` not found"), std::string::npos) << ctx.message;
  EXPECT_EQ(ws.read("f.txt"), "x\n");
}

TEST(ApplyPatch, ToolUnwrapsJsonAndReportsThroughRegistry) {
  TempDir ws;
  boost::asio::io_context io;
  ossa::tools::Registry reg;
  reg.add(ossa::tools::make_apply_patch_tool());
  ossa::tools::ToolContext ctx;
  ctx.workspace = ws.path();
  ossa::tools::Json body{{"input", "*** Begin Patch\n*** Add File: hi.txt\n+hello\n*** End Patch\n"}};
  auto r = ossa::test::call_tool(io, reg, ctx, "functions.apply_patch", body.dump());
  EXPECT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(ws.read("hi.txt"), "hello\n");
  EXPECT_EQ(r.metadata["added"][0], "hi.txt");
  auto raw = ossa::test::call_tool(io, reg, ctx, "apply_patch", "*** Begin Patch\n*** Delete File: hi.txt\n*** End Patch");
  EXPECT_FALSE(raw.is_error) << raw.text;
  EXPECT_FALSE(ws.exists("hi.txt"));
  EXPECT_FALSE(reg.instructions().empty());
}

namespace {
std::size_t entries_under(const std::filesystem::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    ++n;
  return n;
}
}  // namespace

// Issue 17, item 2, as attacked: sandboxed code swaps a workspace directory for a link to a
// host folder while apply_patch runs. The old code checked the path (weakly_canonical) and
// wrote it later by name, and wrote outside within a few hundred tries; writes relative to
// directory descriptors that never follow links cannot.
TEST(ApplyPatch, DirectorySwappedForALinkNeverLetsAWriteOut) {
  TempDir outside;
  TempDir ws;
  const auto d = ws.path() / "d", swap = ws.path() / "swap";
  std::filesystem::create_directory(d);
  std::filesystem::create_directory_symlink(outside.path(), swap);
  // Probe: RENAME_EXCHANGE swaps the two names atomically (d is always there, as a directory
  // or as the link), the sharpest form of the attack.
  if (::renameat2(AT_FDCWD, d.c_str(), AT_FDCWD, swap.c_str(), RENAME_EXCHANGE) != 0)
    GTEST_SKIP() << "this file system cannot exchange names (renameat2): " << std::strerror(errno);
  ::renameat2(AT_FDCWD, d.c_str(), AT_FDCWD, swap.c_str(), RENAME_EXCHANGE);

  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    while (!stop.load(std::memory_order_relaxed))
      ::renameat2(AT_FDCWD, d.c_str(), AT_FDCWD, swap.c_str(), RENAME_EXCHANGE);
  });
  int applied = 0, attempts = 0;
  // Bounded: the old code let a write out within 108 to 1654 attempts here (3 runs, 2 cores).
  for (; attempts < 10000 && entries_under(outside.path()) == 0; ++attempts) {
    std::string name = "d/f" + std::to_string(attempts) + ".txt";
    auto r = apply_patch(ws.path(), "*** Begin Patch\n*** Add File: " + name + "\n+pwned\n*** End Patch");
    applied += r.ok;
  }
  stop = true;
  swapper.join();
  EXPECT_EQ(entries_under(outside.path()), 0u) << "a write escaped after " << attempts << " attempts";
  EXPECT_GT(applied, 0);  // the race was run: some patches landed in the real directory
}
