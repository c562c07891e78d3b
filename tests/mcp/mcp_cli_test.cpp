// `ossa tools list` and `ossa tools call SERVER.TOOL JSON` with MCP servers from the same
// configuration file `ossa run` reads.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../cli/subprocess.hpp"
#include "../tools/temp_dir.hpp"

using nlohmann::json;
using ossa::test::run_ossa;

namespace {

std::string config(const ossa::test::TempDir& dir) {
  std::string script = OSSA_MCP_FAKE_SERVER;
  std::string folder = std::filesystem::path(script).parent_path().string();
  dir.write("cfg.toml", "[mcp_servers.fake]\ncommand = \"/usr/bin/python3\"\nargs = [\"-u\", \"" + script +
                            "\"]\nneeds_approval = true\n[mcp_servers.fake.sandbox]\nread_only = [\"" + folder +
                            "\"]\n\n[mcp_servers.down]\ncommand = \"/usr/bin/false\"\n");
  return (dir.path() / "cfg.toml").string();
}

}  // namespace

TEST(McpCli, ToolsListShowsMcpToolsAndWarnsAboutAServerThatDidNotStart) {
  ossa::test::TempDir dir;
  auto r = run_ossa({"tools", "list", "--config", config(dir), "--workspace", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json out = json::parse(r.out);
  bool found = false;
  for (const auto& t : out["tools"])
    if (t["recipient"] == "functions.fake_echo") found = t["needs_approval"].get<bool>();
  EXPECT_TRUE(found) << r.out.substr(0, 2000);
  EXPECT_NE(out["developer_tools"].dump().find("fake_slow"), std::string::npos);
  EXPECT_NE(r.err.find("MCP server `down` is unavailable"), std::string::npos) << r.err;
}

TEST(McpCli, ToolsCallServerDotTool) {
  ossa::test::TempDir dir;
  auto r = run_ossa({"tools", "call", "--config", config(dir), "--workspace", dir.path().string(),
                     "fake.echo", R"({"text": "from the command line"})"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json out = json::parse(r.out);
  EXPECT_EQ(out["tool"], "functions.fake_echo");
  EXPECT_EQ(out["text"], "echo: from the command line");
  auto bad = run_ossa({"tools", "call", "--config", config(dir), "fake.fail", "{}"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(json::parse(bad.out)["text"], "the thing failed");
}
