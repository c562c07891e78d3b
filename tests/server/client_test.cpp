// Real clients against the test server (ossa_scripted_server: `ossa serve` over a scripted model)
// on loopback: the official `openai` npm SDK, the OpenAI Agents SDK, and a bounded load test.
// The npm packages come from tests/clients/package-lock.json (scripts/setup.sh installs them);
// without node or them the tests skip and say why.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/server_process.hpp"
#include "tests/cli/subprocess.hpp"
#include "tests/server/node_runtime.hpp"

namespace {
namespace fs = std::filesystem;

using ossa::test::node_command;

std::string node_problem() {
  if (auto p = ossa::test::node_version_problem(); !p.empty()) return p;
  for (const char* pkg : {"openai", "@openai/agents"})
    if (!fs::exists(fs::path(OSSA_CLIENTS_DIR) / "node_modules" / pkg / "package.json"))
      return std::string("npm package ") + pkg + " is not installed (scripts/setup.sh installs tests/clients)";
  return {};
}

// The scripted test server as a child process, in a data folder of its own.
class TestServer {
 public:
  explicit TestServer(std::vector<std::string> extra)
      : data_(make_data_dir()), process_(argv(data_, std::move(extra))) {}
  ~TestServer() {
    std::error_code ec;
    fs::remove_all(data_, ec);
  }
  const std::string& url() const { return process_.url(); }

 private:
  static fs::path make_data_dir() {
    fs::path d = fs::temp_directory_path() / ("ossa-clients-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(counter_++));
    fs::create_directories(d);
    return d;
  }
  static std::vector<std::string> argv(const fs::path& data, std::vector<std::string> extra) {
    std::vector<std::string> a = {OSSA_SCRIPTED_SERVER, "--port", "0", "--data-dir", data.string(),
                                  "--workspace", data.string(), "--script",
                                  std::string(OSSA_CLIENTS_DIR) + "/script.json", "--tools", "python",
                                  "--max-tool-rounds", "4"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  static inline int counter_ = 0;
  fs::path data_;
  ossa::test::ServerProcess process_;
};

ossa::test::ProcessResult node(const std::string& script, std::vector<std::string> args) {
  std::vector<std::string> argv = node_command();
  argv.push_back(std::string(OSSA_CLIENTS_DIR) + "/" + script);
  argv.insert(argv.end(), args.begin(), args.end());
  return ossa::test::run_process(argv);
}

TEST(Clients, OpenAiSdk) {
  if (auto p = node_problem(); !p.empty()) GTEST_SKIP() << p;
  TestServer server({});
  ASSERT_FALSE(server.url().empty());
  auto r = node("openai_sdk.mjs", {server.url() + "/v1"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::cout << r.out;
}

TEST(Clients, AgentsSdk) {
  if (auto p = node_problem(); !p.empty()) GTEST_SKIP() << p;
  TestServer server({});
  ASSERT_FALSE(server.url().empty());
  auto r = node("agents_sdk.mjs", {server.url() + "/v1"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::cout << r.out;
}

TEST(Clients, LoadTest32StreamsZeroErrors) {
  if (auto p = node_problem(); !p.empty()) GTEST_SKIP() << p;
  // 1 ms per token stands in for the engine; the server's own cost is measured apart.
  TestServer server({"--max-concurrent", "32", "--per-token-us", "1000"});
  ASSERT_FALSE(server.url().empty());
  const char* secs = std::getenv("OSSA_LOAD_SECONDS");
  auto r = node("load_test.mjs", {server.url(), "--clients", "32", "--seconds", secs ? secs : "10"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::cout << r.out;
  auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')), nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["errors"], 0);
  EXPECT_GT(j["requests"].get<int>(), 32);
}

}  // namespace
