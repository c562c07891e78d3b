// The MCP client against a hostile fake server (fake_mcp_server.py) run inside the sandbox:
// the protocol (pagination, versions, content, errors, progress, cancellation, list_changed)
// and every way a server can misbehave (garbage, hangs, crashes, floods, name collisions).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>

#include "mcp_test_util.hpp"
#include "tools/builtins.hpp"
#include "tools/mcp/mcp_tool.hpp"

using namespace ossa;
using ossa::test::McpHarness;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

namespace {

mcp::ServerConfig fake(std::string name, std::vector<std::string> flags = {}) {
  mcp::ServerConfig c;
  c.name = std::move(name);
  c.command = "/usr/bin/python3";
  c.args = {"-u", OSSA_MCP_FAKE_SERVER};
  c.args.insert(c.args.end(), flags.begin(), flags.end());
  c.sandbox.read_only = {std::filesystem::path(OSSA_MCP_FAKE_SERVER).parent_path().string()};
  c.startup_timeout = std::chrono::seconds(20);
  c.tool_timeout = std::chrono::seconds(20);
  return c;
}

}  // namespace

TEST(McpFakeServer, ListsEveryPageAndCallsThroughTheRegistry) {
  McpHarness h;
  h.start({fake("fake", {"--page-size", "4"})});
  ASSERT_TRUE(h.listed[0].error.empty()) << h.listed[0].error;
  EXPECT_EQ(h.listed[0].tools.size(), 14u);  // four pages of 4, 4, 4, 2
  EXPECT_TRUE(h.warnings.empty()) << h.warnings_text();
  auto echo = h.reg.find("functions.fake_echo");
  ASSERT_TRUE(echo);
  EXPECT_TRUE(h.reg.find("functions.fake_garbage_only"));  // '-' is not a TypeScript identifier
  EXPECT_FALSE(echo->spec().parameters.contains("$schema"));
  EXPECT_EQ(echo->spec().parameters["properties"]["text"]["type"], "string");
  EXPECT_TRUE(h.reg.developer_tools()["functions"].dump().find("fake_echo") != std::string::npos);

  auto r = h.call("functions.fake_echo", R"({"text": "hi"})");
  EXPECT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.text, "echo: hi");
  EXPECT_EQ(r.metadata["mcp_server"], "fake");
  // The server's own spelling resolves too.
  EXPECT_EQ(h.call("fake.echo", R"({"text": "alias"})").text, "echo: alias");
  // The schema is enforced before the server sees the call.
  auto bad = h.call("functions.fake_echo", R"({"txt": 1})");
  EXPECT_TRUE(bad.is_error);
}

TEST(McpFakeServer, Protocol20250326IsAcceptedAndUnknownVersionsRefused) {
  McpHarness old;
  old.start({fake("old", {"--version", "2025-03-26"})});
  EXPECT_TRUE(old.listed[0].error.empty()) << old.listed[0].error;
  EXPECT_EQ(old.call("functions.old_echo", R"({"text": "x"})").text, "echo: x");

  McpHarness future;
  future.start({fake("future", {"--version", "2099-01-01"})});
  EXPECT_THAT(future.listed[0].error, HasSubstr("2099-01-01"));
  EXPECT_THAT(future.warnings_text(), HasSubstr("unavailable"));
  EXPECT_FALSE(future.reg.find("functions.future_echo"));
}

TEST(McpFakeServer, ContentIsRenderedImagesDescribedNotInlined) {
  McpHarness h;
  h.start({fake("fake")});
  auto r = h.call("functions.fake_mixed");
  EXPECT_FALSE(r.is_error) << r.text;
  EXPECT_THAT(r.text, HasSubstr("see the picture"));
  EXPECT_THAT(r.text, HasSubstr("[image: image/png, 16 bytes; not shown"));
  EXPECT_THAT(r.text, Not(HasSubstr("iVBOR")));
  EXPECT_THAT(r.text, HasSubstr("[resource file:///notes.txt (text/plain)]\nresource text"));
  EXPECT_THAT(r.text, HasSubstr("[resource file:///a.bin: unknown type, 3 bytes"));
  EXPECT_THAT(r.text, HasSubstr("[resource link: file:///big.csv \"big.csv\"]"));
  EXPECT_THAT(r.text, HasSubstr("structured result: {\"temperature\":21.5}"));
  EXPECT_EQ(r.metadata["content"]["image"], 1);
}

TEST(McpFakeServer, ToolErrorsAndRpcErrorsReachTheModel) {
  McpHarness h;
  h.start({fake("fake")});
  auto f = h.call("functions.fake_fail");
  EXPECT_TRUE(f.is_error);
  EXPECT_EQ(f.text, "the thing failed");
  auto e = h.call("functions.fake_rpc_error");
  EXPECT_TRUE(e.is_error);
  EXPECT_THAT(e.text, HasSubstr("bad params here (code -32602)"));
}

TEST(McpFakeServer, ProgressNotificationsAreCounted) {
  McpHarness h;
  h.start({fake("fake")});
  auto r = h.call("functions.fake_slow", R"({"steps": 3})");
  EXPECT_EQ(r.text, "slow done");
  EXPECT_EQ(r.metadata["progress_notifications"], 3);
  EXPECT_EQ(r.metadata["last_progress"]["message"], "step 3");
}

TEST(McpFakeServer, GarbageOnStdoutIsSkipped) {
  McpHarness h;
  h.start({fake("noisy", {"--noise"})});
  ASSERT_TRUE(h.listed[0].error.empty()) << h.listed[0].error;
  EXPECT_EQ(h.call("functions.noisy_echo", R"({"text": "a"})").text, "echo: a");
  EXPECT_EQ(h.call("functions.noisy_garbage").text, "after garbage");
}

TEST(McpFakeServer, GarbageWithoutAnswerTimesOutAndShowsTheGarbage) {
  McpHarness h;
  h.ctx.limits.timeout = std::chrono::milliseconds(1500);
  h.start({fake("fake")});
  auto t0 = Clock::now();
  auto r = h.call("functions.fake_garbage_only");
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(10));
  EXPECT_TRUE(r.is_error);
  EXPECT_THAT(r.text, HasSubstr("did not answer the call to `garbage-only` within 1.5 s"));
  EXPECT_THAT(r.text, HasSubstr("not JSON-RPC (first: \"Traceback"));
}

TEST(McpFakeServer, HangTimesOutAndTheServerIsToldToCancel) {
  McpHarness h;
  h.ctx.limits.timeout = std::chrono::seconds(1);
  h.start({fake("fake")});
  auto r = h.call("functions.fake_hang");
  EXPECT_TRUE(r.is_error);
  EXPECT_THAT(r.text, HasSubstr("within 1 s; the call was cancelled"));
  // The server got notifications/cancelled for that request and still serves calls.
  auto c = h.call("functions.fake_cancelled");
  EXPECT_THAT(c.text, HasSubstr("cancelled=["));
  EXPECT_THAT(c.text, Not(HasSubstr("cancelled=[]")));
}

TEST(McpFakeServer, CancellingTheTurnCancelsTheCall) {
  McpHarness h;
  h.start({fake("fake")});
  tools::ToolCall call;
  call.recipient = "functions.fake_hang";
  call.body = "{}";
  h.ctx.executor = h.io.get_executor();
  boost::asio::cancellation_signal sig;
  auto fut = boost::asio::co_spawn(h.io, h.reg.dispatch(call, h.ctx),
                                   boost::asio::bind_cancellation_slot(sig.slot(), boost::asio::use_future));
  boost::asio::steady_timer t(h.io, std::chrono::milliseconds(500));
  t.async_wait([&](auto) { sig.emit(boost::asio::cancellation_type::all); });
  auto t0 = Clock::now();
  h.io.restart();
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready && h.io.run_one()) {
  }
  auto r = fut.get();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
  EXPECT_TRUE(r.is_error);
  EXPECT_THAT(r.text, HasSubstr("was cancelled"));
  auto c = h.call("functions.fake_cancelled");
  EXPECT_THAT(c.text, Not(HasSubstr("cancelled=[]")));
}

TEST(McpFakeServer, CrashMidCallIsReportedAndTheNextCallRestartsIt) {
  McpHarness h;
  h.start({fake("fake")});
  EXPECT_EQ(h.call("functions.fake_count").text, "calls=1");
  EXPECT_EQ(h.call("functions.fake_count").text, "calls=2");
  auto r = h.call("functions.fake_crash");
  EXPECT_TRUE(r.is_error);
  EXPECT_THAT(r.text, HasSubstr("exited with status 3"));
  EXPECT_THAT(r.text, HasSubstr("crashing on purpose"));
  EXPECT_THAT(r.text, HasSubstr("started again on the next call"));
  auto after = h.call("functions.fake_count");
  EXPECT_FALSE(after.is_error) << after.text;
  EXPECT_THAT(after.text, HasSubstr("was restarted for this call"));
  EXPECT_THAT(after.text, HasSubstr("calls=1"));  // a fresh process
  EXPECT_EQ(h.manager->starts("fake"), 2);
  EXPECT_EQ(h.call("functions.fake_count").text, "calls=2");  // told once
}

TEST(McpFakeServer, FiftyMegabyteAnswerStopsTheServerReadably) {
  McpHarness h;
  h.start({fake("fake")});
  auto t0 = Clock::now();
  auto r = h.call("functions.fake_big", R"({"mb": 50})");
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(15));
  EXPECT_TRUE(r.is_error);
  EXPECT_THAT(r.text, HasSubstr("larger than 16 MiB"));
  EXPECT_LT(r.text.size(), 2000u);
  EXPECT_EQ(h.call("functions.fake_echo", R"({"text": "ok"})").text.find("echo: ok") != std::string::npos, true);
  // Below the cap a big answer is cut to what the model is shown.
  h.ctx.limits.max_output_bytes = 1000;
  auto big = h.call("functions.fake_big", R"({"mb": 1})");
  EXPECT_FALSE(big.is_error);
  EXPECT_LT(big.text.size(), 1200u);
  EXPECT_THAT(big.text, HasSubstr("more bytes of the result not shown"));
}

TEST(McpFakeServer, NameCollidingWithABuiltinIsSkippedAndTheBuiltinKept) {
  McpHarness h;
  tools::add_builtin_tools(h.reg, {.python = false, .shell = false, .apply_patch = true});
  auto builtin = h.reg.find("functions.apply_patch");
  ASSERT_TRUE(builtin);
  h.start({fake("apply", {"--tool-name", "patch"})});
  EXPECT_THAT(h.warnings_text(), HasSubstr("tool `patch` skipped: `functions.apply_patch` is already taken"));
  EXPECT_EQ(h.reg.find("functions.apply_patch"), builtin);
  EXPECT_TRUE(h.reg.find("functions.apply_echo"));  // the rest of the server is there
}

TEST(McpFakeServer, StartupHangFailsAfterStartupTimeout) {
  McpHarness h;
  auto c = fake("slowstart", {"--init-hang"});
  c.startup_timeout = std::chrono::milliseconds(800);
  auto t0 = Clock::now();
  h.start({c});
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
  EXPECT_THAT(h.listed[0].error, HasSubstr("did not finish starting within 0.8 s"));
}

TEST(McpFakeServer, MissingCommandIsAReadableError) {
  McpHarness h;
  auto c = fake("nothing");
  c.command = "/usr/bin/no-such-mcp-server";
  h.start({c});
  EXPECT_FALSE(h.listed[0].error.empty());
  EXPECT_THAT(h.listed[0].error, HasSubstr("nothing"));
}

TEST(McpFakeServer, ListChangedRefreshesTheTools) {
  McpHarness h;
  h.start({fake("fake")});
  auto before = h.direct("fake", "added", tools::Json::object());
  EXPECT_TRUE(before.is_error);
  EXPECT_THAT(before.text, HasSubstr("does not offer the tool `added`"));
  EXPECT_EQ(h.call("functions.fake_change").text, "changed");
  std::string text;
  for (int i = 0; i < 50; ++i) {  // the refresh runs after the notification
    text = h.direct("fake", "added", tools::Json::object()).text;
    if (text == "added works") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(text, "added works");
}

TEST(McpFakeServer, EnabledAndDisabledToolsFilterTheList) {
  McpHarness h;
  auto c = fake("fake");
  c.enabled_tools = std::vector<std::string>{"echo", "fail", "count"};
  c.disabled_tools = {"fail"};
  c.needs_approval = true;
  h.start({c});
  ASSERT_EQ(h.listed[0].tools.size(), 2u);
  EXPECT_TRUE(h.reg.find("functions.fake_echo"));
  EXPECT_FALSE(h.reg.find("functions.fake_fail"));
  EXPECT_TRUE(h.reg.find("functions.fake_echo")->spec().needs_approval);
}

TEST(McpFakeServer, WorkspaceIsReadOnlyUnlessGranted) {
  McpHarness ro;
  ro.start({fake("fake")});
  auto r = ro.call("functions.fake_write");
  EXPECT_THAT(r.text, HasSubstr("write failed"));
  EXPECT_FALSE(ro.ws.exists("written.txt"));

  McpHarness rw;
  auto c = fake("fake");
  c.sandbox.workspace_writable = true;
  rw.start({c});
  EXPECT_EQ(rw.call("functions.fake_write").text, "wrote");
  EXPECT_EQ(rw.ws.read("written.txt"), "written");
}

TEST(McpFakeServer, ServersAreSharedAcrossSessions) {
  McpHarness a;
  a.start({fake("fake")});
  EXPECT_EQ(a.call("functions.fake_count").text, "calls=1");
  // A second registry (another session) over the same manager reaches the same process.
  tools::Registry other;
  mcp::add_mcp_tools(other, a.manager, a.listed);
  boost::asio::io_context io2;
  tools::ToolContext ctx2;
  ctx2.workspace = a.ws.path();
  EXPECT_EQ(ossa::test::call_tool(io2, other, ctx2, "functions.fake_count", "{}").text, "calls=2");
  EXPECT_EQ(a.manager->starts("fake"), 1);
}
