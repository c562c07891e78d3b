// Real clients against the test server (ossa_scripted_server: `ossa serve` over a scripted model)
// on loopback: the official `openai` npm SDK, the OpenAI Agents SDK, and a bounded load test.
// The npm packages come from tests/clients/package-lock.json (scripts/setup.sh installs them);
// without node or them the tests skip and say why.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

// The test server as a child process; its first stdout line says where it listens.
class TestServer {
 public:
  explicit TestServer(std::vector<std::string> extra) {
    data_ = fs::temp_directory_path() / ("ossa-clients-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter_++));
    fs::create_directories(data_);
    std::vector<std::string> argv = {OSSA_SCRIPTED_SERVER, "--port", "0", "--data-dir", data_.string(),
                                     "--workspace", data_.string(), "--script",
                                     std::string(OSSA_CLIENTS_DIR) + "/script.json", "--tools", "python",
                                     "--max-tool-rounds", "4"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    FILE* f = ::fdopen(out[0], "r");
    char line[4096] = {0};
    if (std::fgets(line, sizeof line, f)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("listening")) url_ = j["listening"];
    }
    out_ = f;
  }
  ~TestServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (out_) std::fclose(out_);
    std::error_code ec;
    fs::remove_all(data_, ec);
  }
  const std::string& url() const { return url_; }

 private:
  static inline int counter_ = 0;
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  fs::path data_;
  std::string url_;
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
