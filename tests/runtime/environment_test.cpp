// The Environment: the one place a Config becomes what tools need.
// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include "runtime/environment.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/net/test_server.hpp"
#include "tests/tools/tool_test_util.hpp"

using namespace ossa;
using namespace ossa::runtime;

namespace {

std::filesystem::path temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("ossa_env_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// Sets proxy variables for the life of the object (both spellings: lower case wins).
struct ProxyEnv {
  explicit ProxyEnv(const std::string& url) {
    for (const char* n : {"http_proxy", "HTTP_PROXY"}) ::setenv(n, url.c_str(), 1);
    for (const char* n : {"no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"}) ::unsetenv(n);
  }
  ~ProxyEnv() {
    for (const char* n : {"http_proxy", "HTTP_PROXY"}) ::unsetenv(n);
  }
};

}  // namespace

// A malformed allowlist rule used to be dropped by the browser, read as "no rules" by
// http_request and an error only for user tools: it is an error when the environment is built,
// naming the rule.
TEST(Environment, MalformedAllowlistRuleIsAnErrorNamingIt) {
  Config cfg;
  cfg.workspace = temp_dir("bad_rule").string();
  cfg.tools = {"browser", "http_request"};
  cfg.network_allowlist = {"api.example.com", "http://bad host:80"};
  try {
    Environment env(cfg);
    ADD_FAILURE() << "a malformed rule was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad host"), std::string::npos) << e.what();
  }
}

// The proxy variables used to reach user HTTP tools only, each of which started its own client:
// now every network tool sends through the environment's one client, which read them once.
TEST(Environment, NetworkToolsShareOneClientThatHonoursTheProxy) {
  test::TestServer proxy([](const test::ServerRequest& r) {
    test::ServerReply rep;
    rep.body = "via proxy: " + r.target;
    return rep;
  });
  ProxyEnv env_vars(proxy.base_url());
  auto dir = temp_dir("proxy");
  std::filesystem::create_directories(dir / "tools");
  {
    std::ofstream(dir / "tools" / "weather.json") << R"({"name": "weather",
      "description": "Weather.", "parameters": {"type": "object", "properties": {}},
      "http": {"method": "GET", "url": "http://127.0.0.1:9/weather"}})";
  }
  Config cfg;
  cfg.workspace = dir.string();
  cfg.tools = {"http_request"};
  cfg.tool_dirs = {(dir / "tools").string()};
  cfg.network_allowlist = {"http://127.0.0.1:9"};
  Environment env(cfg);
  boost::asio::io_context io;
  tools::ToolSession session;
  tools::ToolContext ctx = env.tool_context(io.get_executor(), &session);

  auto r = test::call_tool(io, env.registry(), ctx, "functions.http_request",
                           R"({"url": "http://127.0.0.1:9/x"})");
  EXPECT_NE(r.text.find("via proxy: http://127.0.0.1:9/x"), std::string::npos) << r.text;
  auto w = test::call_tool(io, env.registry(), ctx, "functions.weather", "{}");
  EXPECT_NE(w.text.find("via proxy: http://127.0.0.1:9/weather"), std::string::npos) << w.text;
  // The environment's client is the one the tools hold (no client of their own).
  EXPECT_GE(env.http_client().use_count(), 3);
  EXPECT_EQ(proxy.requests().size(), 2u);
}

// `ossa tools call` used its own limits: the context comes from the configuration.
TEST(Environment, ToolContextCarriesTheConfiguredWorkspaceAndLimits) {
  Config cfg;
  cfg.workspace = temp_dir("limits").string();
  cfg.limits.tool_timeout_s = 7;
  cfg.sandbox_memory_mib = 512;
  cfg.sandbox_workspace_write_mib = 8;
  Environment env(cfg);
  boost::asio::io_context io;
  tools::ToolContext ctx = env.tool_context(io.get_executor(), nullptr);
  EXPECT_EQ(ctx.limits.timeout, std::chrono::milliseconds(7000));
  EXPECT_EQ(ctx.limits.memory_mib, 512u);
  EXPECT_EQ(ctx.limits.workspace_write_mib, 8u);
  EXPECT_TRUE(ctx.workspace.is_absolute());
  EXPECT_EQ(ctx.workspace, std::filesystem::path(cfg.workspace));
  EXPECT_TRUE(ctx.secrets);
  EXPECT_TRUE(ctx.protect_git);
  cfg.sandbox_protect_git = false;  // `[sandbox] protect_git = false` reaches every tool call
  EXPECT_FALSE(Environment(cfg).tool_context(io.get_executor(), nullptr).protect_git);

  cfg.workspace = (std::filesystem::path(cfg.workspace) / "missing").string();
  EXPECT_THROW(Environment bad(cfg), ConfigError);
}

// `[mcp_servers]` are started by the Environment, so `ossa run`, `ossa tools` and `ossa serve`
// get their tools the same way; a server that does not start is a warning, not an error.
TEST(Environment, StartsTheConfiguredMcpServersAndAddsTheirTools) {
  Config cfg;
  cfg.workspace = temp_dir("mcp").string();
  mcp::ServerConfig fake;
  fake.name = "fake";
  fake.command = "/usr/bin/python3";
  fake.args = {"-u", OSSA_MCP_FAKE_SERVER};
  fake.sandbox.read_only = {std::filesystem::path(OSSA_MCP_FAKE_SERVER).parent_path().string()};
  fake.startup_timeout = std::chrono::seconds(20);
  mcp::ServerConfig down;
  down.name = "down";
  down.command = "/usr/bin/false";
  cfg.mcp_servers = {fake, down};
  Environment env(cfg);
  EXPECT_TRUE(env.registry().find("functions.fake_echo"));
  std::string warnings;
  for (const std::string& w : env.warnings()) warnings += w + "\n";
  EXPECT_NE(warnings.find("MCP server `down` is unavailable"), std::string::npos) << warnings;
  EXPECT_EQ(warnings.find("`fake`"), std::string::npos) << warnings;

  boost::asio::io_context io;
  tools::ToolSession session;
  tools::ToolCall call;
  call.recipient = "fake.echo";
  call.body = R"({"text": "through the environment"})";
  tools::ToolContext ctx = env.tool_context(io.get_executor(), &session);
  auto fut = boost::asio::co_spawn(io, env.registry().dispatch(std::move(call), ctx),
                                   boost::asio::use_future);
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready && io.run_one()) {
  }
  tools::ToolResult r = fut.get();
  EXPECT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.text, "echo: through the environment");
}
