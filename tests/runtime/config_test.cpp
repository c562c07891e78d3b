// Configuration: TOML file parsing with precise errors, flag overrides, `ossa config show`.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "runtime/config.hpp"
#include "tests/cli/subprocess.hpp"

using namespace ossa::runtime;

TEST(Config, DefaultsAreValid) {
  Config c = parse_config("", "empty.toml");
  EXPECT_EQ(c.reasoning, "medium");
  EXPECT_EQ(c.approve, ApproveMode::ask);
  EXPECT_EQ(c.need_approval, (std::vector<std::string>{"shell", "apply_patch", "http"}));
}

TEST(Config, ReadsEveryTable) {
  Config c = parse_config(R"(
model = "/models/gpt-oss-20b"
threads = 2
reasoning = "high"
temperature = 0
[tools]
enabled = ["python", "shell"]
dirs = ["/etc/ossa/tools"]
approve = "none"
[sandbox]
policy = "degraded"
memory_mib = 512
protect_git = false
[network]
allowlist = ["api.internal:8080"]
[search]
backend = "searxng:http://127.0.0.1:8888"
[limits]
max_tool_rounds = 5
wall_time_s = 60
repeat_limit = 2
)",
                          "c.toml");
  EXPECT_EQ(c.model, "/models/gpt-oss-20b");
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.reasoning, "high");
  EXPECT_EQ(c.temperature, 0.0);
  EXPECT_EQ(c.tools, (std::vector<std::string>{"python", "shell"}));
  EXPECT_EQ(c.approve, ApproveMode::none);
  EXPECT_EQ(c.sandbox_policy, "degraded");
  EXPECT_EQ(c.sandbox_memory_mib, 512);
  EXPECT_FALSE(c.sandbox_protect_git);
  EXPECT_TRUE(Config{}.sandbox_protect_git);
  EXPECT_EQ(c.network_allowlist, (std::vector<std::string>{"api.internal:8080"}));
  EXPECT_EQ(c.search_backend, "searxng:http://127.0.0.1:8888");
  EXPECT_EQ(c.limits.max_tool_rounds, 5);
  EXPECT_EQ(c.limits.wall_time_s, 60.0);
  EXPECT_EQ(c.limits.repeat_limit, 2);
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
  try {
    parse_config("threads = 2\n[network]\nallowlsit = [\"x\"]\n", "c.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("network.allowlsit"), std::string::npos) << m;
    EXPECT_NE(m.find("c.toml:3"), std::string::npos) << m;
  }
}

// Issue 19: a misspelt key suggests the nearest one and points at the example file.
TEST(Config, UnknownKeySuggestsTheNearestKey) {
  auto error_of = [](const std::string& text) {
    try {
      parse_config(text, "c.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("thread = 2\n"),
            "c.toml:1: `thread`: unknown key (did you mean `threads`?); every key is described in "
            "examples/agent/config.toml");
  EXPECT_NE(error_of("[limits]\nmax_token = 5\n").find("(did you mean `limits.max_tokens`?)"),
            std::string::npos);
  // Nothing close: no guess.
  EXPECT_EQ(error_of("colour = \"blue\"\n"),
            "c.toml:1: `colour`: unknown key; every key is described in examples/agent/config.toml");
}

TEST(Config, WrongTypeAndBadChoiceAreErrors) {
  EXPECT_THROW(parse_config("threads = \"two\"", "c.toml"), ConfigError);
  EXPECT_THROW(parse_config("reasoning = \"extreme\"", "c.toml"), ConfigError);
  EXPECT_THROW(parse_config("[tools]\napprove = \"sometimes\"", "c.toml"), ConfigError);
  EXPECT_THROW(parse_config("[tools]\nenabled = [1, 2]", "c.toml"), ConfigError);
  EXPECT_THROW(parse_config("model = ", "c.toml"), ConfigError);  // TOML syntax error
}

TEST(Config, FlagsOverrideTheFile) {
  Config c = parse_config("reasoning = \"low\"\n[limits]\nmax_tokens = 100\n", "c.toml");
  ConfigOverrides o;
  o.reasoning = "high";
  o.tools = std::vector<std::string>{"browser"};
  apply_overrides(c, o);
  EXPECT_EQ(c.reasoning, "high");
  EXPECT_EQ(c.limits.max_tokens, 100);
  EXPECT_EQ(c.tools, (std::vector<std::string>{"browser"}));
  o.approve = "maybe";
  EXPECT_THROW(apply_overrides(c, o), ConfigError);
}

// Issue 19: limits that inverted. wall_time 1e10 s overflowed the clock and stopped every turn
// at once; inf and NaN passed "> 0"; a negative or NaN temperature passed "< 0".
TEST(Config, LimitsThatWouldOverflowOrAreNotNumbersAreRefused) {
  for (double bad : {1e10, 1e300, std::numeric_limits<double>::infinity(), std::nan(""), -1.0, 0.0}) {
    Config c;
    ConfigOverrides o;
    o.wall_time_s = bad;
    EXPECT_THROW(apply_overrides(c, o), ConfigError) << bad;
    ConfigOverrides t;
    t.tool_timeout_s = bad;
    EXPECT_THROW(apply_overrides(c, t), ConfigError) << bad;
  }
  try {
    parse_config("[limits]\nwall_time_s = 1e300\n", "c.toml");
    ADD_FAILURE() << "1e300 s accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("at most 604800"), std::string::npos) << e.what();
  }
  Config c;
  ConfigOverrides week;
  week.wall_time_s = 7 * 24 * 3600.0;
  EXPECT_NO_THROW(apply_overrides(c, week));
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(), -0.5}) {
    ConfigOverrides o;
    o.temperature = bad;
    EXPECT_THROW(apply_overrides(c, o), ConfigError) << bad;
  }
}

TEST(Config, ShowPrintsTheEffectiveConfiguration) {
  auto dir = std::filesystem::temp_directory_path() / ("ossa_cfg_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "c.toml") << "threads = 3\n[network]\nallowlist = [\"localhost:9\"]\n";
  auto r = ossa::test::run_ossa(
      {"config", "show", "--config", (dir / "c.toml").string(), "--reasoning", "low"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["threads"], 3);
  EXPECT_EQ(j["reasoning"], "low");
  EXPECT_EQ(j["network"]["allowlist"][0], "localhost:9");

  std::ofstream(dir / "bad.toml") << "thread = 3\n";
  r = ossa::test::run_ossa({"config", "show", "--config", (dir / "bad.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("thread"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

// Issue 17, item 4: secrets are declared in the configuration with their source and hosts;
// `ossa config show` lists names and bindings, never values.
TEST(Config, SecretsAreDeclaredWithSourceAndHosts) {
  Config c = parse_config(R"(
[secrets.WEATHER_TOKEN]
env = "OSSA_WEATHER"
hosts = ["https://api.weather.example", "*.weather.example:8443"]
[secrets.PLAIN]
hosts = ["127.0.0.1:8765"]
)",
                          "s.toml");
  ASSERT_EQ(c.secrets.size(), 2u);
  auto j = to_json(c);
  EXPECT_EQ(j["secrets"]["WEATHER_TOKEN"]["env"], "OSSA_WEATHER");
  EXPECT_EQ(j["secrets"]["PLAIN"]["env"], "PLAIN");
  EXPECT_EQ(j["secrets"]["PLAIN"]["hosts"][0], "127.0.0.1:8765");
  auto error_of = [](const std::string& text) {
    try {
      parse_config(text, "bad.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("[secrets.NO_HOSTS]\nenv = \"X\"\n").find("secret `NO_HOSTS`: `hosts` must list"),
            std::string::npos);
  EXPECT_NE(error_of("[secrets.BAD]\nhosts = [\"ftp://x\"]\n").find("secret `BAD`"), std::string::npos);
  EXPECT_NE(error_of("[secrets.X]\nhosts = [\"a.example\"]\nvalue = \"inline\"\n").find("unknown key"),
            std::string::npos);
}

TEST(Config, McpServers) {
  Config c = parse_config(R"(
[mcp_servers.files]
command = "node"
args = ["server.js", "/workspace"]
env = { LOG = "1", MODE = "x" }
enabled_tools = ["read"]
disabled_tools = ["write"]
startup_timeout = 2.5
tool_timeout = 30
needs_approval = true
[mcp_servers.files.sandbox]
workspace = "read-write"
read_only = ["/opt/node_modules"]
memory_mib = 512

[mcp_servers.remote]
url = "https://mcp.example.com/mcp"
headers = { Authorization = "Bearer ${MCP_TOKEN}" }
)",
                          "m.toml");
  ASSERT_EQ(c.mcp_servers.size(), 2u);
  const auto& f = c.mcp_servers[0];
  EXPECT_EQ(f.name, "files");
  EXPECT_EQ(f.args, (std::vector<std::string>{"server.js", "/workspace"}));
  EXPECT_EQ(f.env.size(), 2u);
  ASSERT_TRUE(f.enabled_tools);
  EXPECT_EQ(*f.enabled_tools, std::vector<std::string>{"read"});
  EXPECT_EQ(f.startup_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(f.tool_timeout, std::chrono::seconds(30));
  EXPECT_TRUE(f.needs_approval);
  EXPECT_TRUE(f.sandbox.workspace_writable);
  EXPECT_EQ(f.sandbox.memory_mib, 512u);
  const auto& r = c.mcp_servers[1];
  EXPECT_TRUE(r.is_http());
  EXPECT_FALSE(r.sandbox.workspace_writable);  // the default
  // `config show` names env variables and headers but never prints their values.
  std::string shown = to_json(c).dump();
  EXPECT_EQ(shown.find("MCP_TOKEN"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Authorization"), std::string::npos) << shown;
}

TEST(Config, McpServerMistakesAreErrors) {
  auto err = [](const std::string& toml) {
    try {
      parse_config(toml, "m.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(err("[mcp_servers.a]\nargs = []\n").find("either `command`"), std::string::npos);
  EXPECT_NE(err("[mcp_servers.a]\ncommand = \"x\"\nurl = \"http://h\"\n").find("either"), std::string::npos);
  EXPECT_NE(err("[mcp_servers.a]\ncommand = \"x\"\ncomand = 1\n").find("mcp_servers.a.comand"), std::string::npos);
  EXPECT_NE(err("[mcp_servers.a]\ncommand = \"x\"\nsandbox = { workspace = \"rw\" }\n").find("read-only"),
            std::string::npos);
  EXPECT_NE(err("[mcp_servers.a]\ncommand = \"x\"\nsandbox = { network = [\"*\"] }\n").find("no network"),
            std::string::npos);
  EXPECT_NE(err("[mcp_servers.\"a b\"]\ncommand = \"x\"\n").find("letters, digits"), std::string::npos);
}
