// The MCP client against real servers from npm (tests/clients/mcp, installed by
// scripts/setup.sh): @modelcontextprotocol/server-everything over stdio inside the sandbox and
// over Streamable HTTP, and @modelcontextprotocol/server-filesystem inside the sandbox on the
// workspace. Skipped, with one line saying why, where node or the packages are absent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "mcp_test_util.hpp"
#include "tests/cli/server_process.hpp"

extern char** environ;

using namespace ossa;
using ossa::test::McpHarness;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

namespace {

const fs::path kModules = OSSA_MCP_NODE_MODULES;

// Empty when everything is there, else the reason to skip.
std::string missing_node() {
  if (!fs::exists("/usr/bin/node")) return "node is not installed in /usr/bin (scripts/setup.sh installs it)";
  for (const char* pkg : {"server-everything", "server-filesystem"})
    if (!fs::exists(kModules / "@modelcontextprotocol" / pkg / "dist" / "index.js"))
      return std::string("@modelcontextprotocol/") + pkg + " is not installed (run scripts/setup.sh)";
  return {};
}

#define SKIP_WITHOUT_NODE()                                   \
  if (std::string why = missing_node(); !why.empty()) GTEST_SKIP() << why

mcp::ServerConfig node_server(std::string name, const char* pkg, std::vector<std::string> args) {
  mcp::ServerConfig c;
  c.name = std::move(name);
  c.command = "/usr/bin/node";
  c.args = {(kModules / "@modelcontextprotocol" / pkg / "dist" / "index.js").string()};
  c.args.insert(c.args.end(), args.begin(), args.end());
  c.sandbox.read_only = {kModules.string()};
  c.startup_timeout = std::chrono::seconds(30);
  c.tool_timeout = std::chrono::seconds(30);
  return c;
}

const std::vector<std::string> kEverythingTools = {
    "echo", "get-annotated-message", "get-env", "get-resource-links", "get-resource-reference",
    "get-structured-content", "get-sum", "get-tiny-image", "gzip-file-as-resource",
    "toggle-simulated-logging", "toggle-subscriber-updates", "trigger-long-running-operation"};

void exercise_everything(McpHarness& h, const std::string& server) {
  ASSERT_TRUE(h.listed[0].error.empty()) << h.listed[0].error;
  for (const std::string& t : kEverythingTools)
    EXPECT_TRUE(h.reg.find("functions." + mcp::tool_function_name(server, t))) << t;
  EXPECT_TRUE(h.warnings.empty()) << h.warnings_text();

  auto echo = h.call("functions." + server + "_echo", R"({"message": "hello mcp"})");
  EXPECT_FALSE(echo.is_error) << echo.text;
  EXPECT_THAT(echo.text, HasSubstr("hello mcp"));

  auto sum = h.call("functions." + server + "_get_sum", R"({"a": 2, "b": 40})");
  EXPECT_FALSE(sum.is_error) << sum.text;
  EXPECT_THAT(sum.text, HasSubstr("42"));

  auto progress = h.call("functions." + server + "_trigger_long_running_operation",
                         R"({"duration": 1, "steps": 3})");
  EXPECT_FALSE(progress.is_error) << progress.text;
  EXPECT_THAT(progress.text, HasSubstr("Long running operation completed"));
  EXPECT_EQ(progress.metadata.value("progress_notifications", 0), 3) << progress.metadata.dump();

  auto image = h.call("functions." + server + "_get_tiny_image");
  EXPECT_FALSE(image.is_error) << image.text;
  EXPECT_THAT(image.text, HasSubstr("[image: image/png"));
  EXPECT_LT(image.text.size(), 2000u) << "the image must be described, not inlined";

  auto structured = h.call("functions." + server + "_get_structured_content", R"({"location": "New York"})");
  EXPECT_FALSE(structured.is_error) << structured.text;
  EXPECT_THAT(structured.text, HasSubstr("temperature"));

  // Arguments the server's own validation refuses come back as an error the model can read.
  auto error = h.direct(server, "get-sum", {{"a", "not a number"}});
  EXPECT_TRUE(error.is_error) << error.text;
  EXPECT_FALSE(error.text.empty());
}

// server-everything's HTTP mode as a plain child process (the test's own server, reached
// through the client's network policy), killed at scope end.
struct HttpEverything {
  pid_t pid = -1;
  int port = ossa::test::free_port();
  HttpEverything() {
    std::string script = (kModules / "@modelcontextprotocol/server-everything/dist/index.js").string();
    std::string port_env = "PORT=" + std::to_string(port);
    std::vector<char*> argv = {const_cast<char*>("/usr/bin/node"), script.data(),
                               const_cast<char*>("streamableHttp"), nullptr};
    std::vector<char*> envp = {port_env.data(), const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 300 && pid > 0 && !ossa::test::port_open(port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~HttpEverything() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST(McpNpmServers, EverythingOverStdioInTheSandbox) {
  SKIP_WITHOUT_NODE();
  McpHarness h;
  h.start({node_server("everything", "server-everything", {"stdio"})});
  exercise_everything(h, "everything");
}

TEST(McpNpmServers, EverythingOverStreamableHttp) {
  SKIP_WITHOUT_NODE();
  HttpEverything srv;
  ASSERT_TRUE(ossa::test::port_open(srv.port)) << "server-everything did not listen on port " << srv.port;
  McpHarness h;
  mcp::ServerConfig c;
  c.name = "remote";
  c.url = "http://127.0.0.1:" + std::to_string(srv.port) + "/mcp";
  c.startup_timeout = std::chrono::seconds(30);
  h.start({c});
  exercise_everything(h, "remote");
  EXPECT_TRUE(h.reg.find("functions.remote_echo")->spec().needs_network);
}

TEST(McpNpmServers, HttpServerOutsideThePolicyIsRefused) {
  SKIP_WITHOUT_NODE();
  // A URL whose redirect or address leaves the endpoint is refused; a dead endpoint fails fast
  // with the HTTP client's reason.
  McpHarness h;
  mcp::ServerConfig c;
  c.name = "gone";
  c.url = "http://127.0.0.1:" + std::to_string(ossa::test::free_port()) + "/mcp";
  c.startup_timeout = std::chrono::seconds(5);
  h.start({c});
  EXPECT_THAT(h.listed[0].error, HasSubstr("HTTP request failed"));
}

TEST(McpNpmServers, FilesystemServerSeesTheWorkspaceAndNothingElse) {
  SKIP_WITHOUT_NODE();
  McpHarness h;
  h.ws.write("notes/hello.txt", "hello from the workspace\n");
  // A file of the host outside the workspace, and the home directory.
  ossa::test::TempDir outside;
  outside.write("secret.txt", "host secret\n");
  const char* home = std::getenv("HOME");
  // The server itself is told it may use the whole tree: only the sandbox keeps it in.
  h.start({node_server("fs", "server-filesystem", {"/workspace", "/"})});
  ASSERT_TRUE(h.listed[0].error.empty()) << h.listed[0].error;
  ASSERT_TRUE(h.reg.find("functions.fs_read_text_file"));

  auto ok = h.call("functions.fs_read_text_file", R"({"path": "/workspace/notes/hello.txt"})");
  EXPECT_FALSE(ok.is_error) << ok.text;
  EXPECT_THAT(ok.text, HasSubstr("hello from the workspace"));
  auto list = h.call("functions.fs_list_directory", R"({"path": "/workspace"})");
  EXPECT_THAT(list.text, HasSubstr("notes"));

  auto secret = h.call("functions.fs_read_text_file",
                       tools::Json({{"path", (outside.path() / "secret.txt").string()}}).dump());
  EXPECT_THAT(secret.text, Not(HasSubstr("host secret")));
  EXPECT_TRUE(secret.is_error) << secret.text;
  auto shadow = h.call("functions.fs_read_text_file", R"({"path": "/etc/shadow"})");
  EXPECT_TRUE(shadow.is_error) << shadow.text;
  auto passwd = h.call("functions.fs_read_text_file", R"({"path": "/etc/passwd"})");
  EXPECT_THAT(passwd.text, Not(HasSubstr("daemon:")));
  if (home && std::string(home) != "/" && std::string(home) != "/tmp") {
    auto h_list = h.call("functions.fs_list_directory", tools::Json({{"path", home}}).dump());
    EXPECT_TRUE(h_list.is_error) << h_list.text;
  }
  // Read-only by default: the write fails and nothing lands in the workspace.
  auto write = h.call("functions.fs_write_file", R"({"path": "/workspace/new.txt", "content": "x"})");
  EXPECT_TRUE(write.is_error) << write.text;
  EXPECT_FALSE(h.ws.exists("new.txt"));
}
