// `ossa run`, `ossa chat` and `ossa serve` end to end with the demo model (examples/demo_model/,
// unpacked by the build next to the ossa binary): real tool calls written by a trained model.
// Greedy decoding, so each run is deterministic; the tasks are ones the model was trained to do
// and does right (scripts/eval_demo_model.sh measures how often it does on items it never saw).
// What is checked is the work done: the python call ran in the sandbox and printed the right
// number, the HTTP tool reached a real local API, a failing call led to an answer that says so.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "runtime/transcript.hpp"
#include "tests/cli/server_process.hpp"
#include "tests/cli/subprocess.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path demo_dir() { return fs::path(OSSA_BINARY).parent_path() / "demo-model"; }

class DemoModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("ossa_demo_e2e_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "ws");
    { std::ofstream(root_ / "none.toml") << ""; }
    { std::ofstream(root_ / "ws" / "notes.txt") << "Meeting moved to Friday\nBring the report\n"; }
    { std::ofstream(root_ / "ws" / "todo.md") << "Buy milk\nCall the plumber\n"; }
    ::unsetenv("OSSA_MODEL");
  }
  static void TearDownTestSuite() {
    if (!std::getenv("OSSA_E2E_KEEP")) fs::remove_all(root_);
  }
  void SetUp() override {
    // The build unpacks examples/demo_model/ next to the binary: missing means a broken build.
    ASSERT_TRUE(fs::exists(demo_dir() / "model.safetensors")) << demo_dir();
  }

  // `ossa run` with no --model: the demo model is the fallback.
  static ossa::test::ProcessResult run(const std::string& task, const fs::path& transcript,
                                       std::vector<std::string> extra = {},
                                       const std::string& config = "none.toml") {
    std::vector<std::string> args = {"run", "--config", (root_ / config).string(),
                                     "--workspace", (root_ / "ws").string(),
                                     "--approve", "none", "--max-tokens", "300",
                                     "--wall-time", "240", "--transcript", transcript.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(task);
    return ossa::test::run_ossa(args);
  }

  static std::vector<json> events_of(const fs::path& transcript, const std::string& type) {
    std::vector<json> out;
    for (const auto& e : ossa::runtime::read_transcript(transcript.string()).events)
      if (e["type"] == type) out.push_back(e);
    return out;
  }
  static fs::path root_;
};
fs::path DemoModel::root_;

TEST_F(DemoModel, RunFallsBackOnTheDemoModelAndComputesThroughThePythonSandbox) {
  const fs::path t = root_ / "arith.jsonl";
  auto r = run("What is 41 plus 46?", t);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("using the demo model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("OSSA_MODEL"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("87"), std::string::npos) << r.out << r.err;
  auto calls = events_of(t, "tool_call");
  ASSERT_EQ(calls.size(), 1u) << r.err;
  EXPECT_EQ(calls[0]["resolved"], "python");
  auto results = events_of(t, "tool_result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["text"], "87\n");  // printed inside the sandbox
  EXPECT_FALSE(results[0]["is_error"].get<bool>());
  EXPECT_TRUE(events_of(t, "parse_error").empty());
}

TEST_F(DemoModel, CountsTheWorkspaceFilesThroughPython) {
  const fs::path t = root_ / "list.jsonl";
  auto r = run("How many files are in the workspace?", t);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 files"), std::string::npos) << r.out;
  auto results = events_of(t, "tool_result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["text"], "2\n");
}

TEST_F(DemoModel, AFailingCallEndsInAnAnswerThatSaysSo) {
  const fs::path t = root_ / "missing.jsonl";
  auto r = run("What does line 2 of budget.txt say?", t);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto results = events_of(t, "tool_result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0]["text"].get<std::string>().find("FileNotFoundError"), std::string::npos);
  EXPECT_NE(r.out.find("could not"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("budget.txt"), std::string::npos) << r.out;
}

// The custom JSON-Schema HTTP tool of examples/tools/ against its real local API.
class DemoModelWeather : public DemoModel {
 protected:
  void SetUp() override {
    DemoModel::SetUp();
    if (HasFatalFailure()) return;
    port_ = ossa::test::free_port();
    const fs::path src = fs::path(OSSA_EXAMPLES_DIR) / "tools";
    std::ifstream in(src / "get_weather.json");
    std::stringstream s;
    s << in.rdbuf();
    std::string text = std::regex_replace(s.str(), std::regex("8765"), std::to_string(port_));
    fs::create_directories(root_ / "tools");
    std::ofstream(root_ / "tools" / "get_weather.json") << text;
    // Both example tools, as `--tools-dir examples/tools` loads them: the demo model was trained
    // with that tool set (and python alone); a prompt with get_weather alone is one it never saw.
    for (const char* f : {"word_count.json", "word_count.py"}) fs::copy_file(src / f, root_ / "tools" / f);
    // The token is a declared secret, bound to this server only.
    std::ofstream(root_ / "weather.toml")
        << "[secrets.WEATHER_TOKEN]\nenv = \"WEATHER_TOKEN\"\nhosts = [\"http://127.0.0.1:"
        << port_ << "\"]\n";
    ::setenv("WEATHER_TOKEN", "e2e-token", 1);
    server_ = ::fork();
    if (server_ == 0) {
      const std::string script = (src / "weather_server.py").string();
      const std::string port = std::to_string(port_);
      ::execl("/usr/bin/python3", "python3", script.c_str(), port.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !ossa::test::port_open(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(ossa::test::port_open(port_)) << "weather_server.py did not start";
  }
  void TearDown() override {
    if (server_ > 0) {
      ::kill(server_, SIGTERM);
      ::waitpid(server_, nullptr, 0);
    }
  }
  std::vector<std::string> tool_flags() const {
    return {"--tools", "python", "--tools-dir", (root_ / "tools").string()};
  }
  int port_ = 0;
  pid_t server_ = -1;
};

TEST_F(DemoModelWeather, CallsTheHttpToolAndReportsWhatTheApiSaid) {
  const fs::path t = root_ / "weather.jsonl";
  auto r = run("What's the weather in Oslo?", t, tool_flags(), "weather.toml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto calls = events_of(t, "tool_call");
  ASSERT_EQ(calls.size(), 1u) << r.err;
  EXPECT_EQ(calls[0]["resolved"], "functions.get_weather");
  // The demo model writes a name it copies after a space (examples/demo_model/README.md);
  // the API strips it.
  const json body = json::parse(calls[0]["body"].get<std::string>());
  ASSERT_TRUE(body.contains("city") && body["city"].is_string()) << body;
  std::string city = body["city"];
  city.erase(0, city.find_first_not_of(' '));
  EXPECT_EQ(city, "Oslo") << body;
  EXPECT_EQ(body.size(), 1u) << body;
  auto results = events_of(t, "tool_result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0]["text"].get<std::string>().find("HTTP 200"), std::string::npos);
  EXPECT_NE(r.out.find("3.5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("snow showers"), std::string::npos) << r.out;
}

TEST_F(DemoModelWeather, AnApiErrorEndsInAnAnswerThatSaysSo) {
  const fs::path t = root_ / "weather404.jsonl";
  auto r = run("What's the weather in Tokyo?", t, tool_flags(), "weather.toml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto results = events_of(t, "tool_result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0]["is_error"].get<bool>());
  EXPECT_NE(results[0]["text"].get<std::string>().find("HTTP 404"), std::string::npos);
  EXPECT_NE(r.out.find("could not"), std::string::npos) << r.out;
}

TEST_F(DemoModel, ChatAnswersTurnAfterTurn) {
  auto r = ossa::test::run_ossa({"chat", "--config", (root_ / "none.toml").string(), "--workspace",
                                 (root_ / "ws").string(), "--approve", "none", "--max-tokens", "300",
                                 "--transcript-dir", (root_ / "chat").string()},
                                "Hello\nWhat is 41 plus 46?\n/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("demo model"), std::string::npos) << r.out;  // the greeting
  EXPECT_NE(r.out.find("87"), std::string::npos) << r.out << r.err;
}

// Issue 19: on a terminal `ossa run` shows a live status line on stderr while the turn runs
// (what is under way, tokens, tok/s, elapsed), erased before anything else is written; the
// answer streams to stdout and the turn ends with its timings. A pipe, --json and -q show none
// of it (-q not even the model's loading line).
TEST_F(DemoModel, RunShowsLiveProgressOnATerminal) {
  std::vector<std::string> args = {"run", "--config", (root_ / "none.toml").string(),
                                   "--workspace", (root_ / "ws").string(), "--approve", "none",
                                   "--max-tokens", "300", "--no-transcript", "What is 41 plus 46?"};
  auto r = ossa::test::run_ossa_in_terminal(args);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string drawn = "\x1b[2m[";  // a status line starts so; nothing else does
  const std::regex status_then_erase(
      R"(\r\x1b\[K\x1b\[2m\[(prompt|analysis|commentary|final|message|tool: python)\] [0-9]+ tokens, [0-9.]+ tok/s, [0-9.]+ s\x1b\[0m(?=\r\x1b\[K))");
  auto count = [](const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
  };
  const auto erased = static_cast<std::size_t>(std::distance(
      std::sregex_iterator(r.out.begin(), r.out.end(), status_then_erase), std::sregex_iterator()));
  EXPECT_GE(erased, 1u) << r.out;
  // Every status line drawn is erased before the next bytes.
  EXPECT_EQ(erased, count(r.out, drawn)) << r.out;
  const auto answer = r.out.find("The answer is 87.");
  ASSERT_NE(answer, std::string::npos) << r.out;
  const std::regex timings(R"(prompt [0-9]+ tokens \([0-9]+ cached\), prefill [0-9.]+ tok/s; generated [0-9]+ tokens, decode [0-9.]+ tok/s)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, timings)) << r.out;
  EXPECT_GT(static_cast<std::size_t>(m.position(0)), answer);
  EXPECT_EQ(r.out.find(drawn, answer), std::string::npos) << "a status line after the answer: " << r.out;

  auto piped = ossa::test::run_ossa(args);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_NE(piped.out.find("87"), std::string::npos) << piped.out;
  EXPECT_EQ(piped.err.find("\x1b["), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find("tok/s"), std::string::npos) << piped.err;

  auto json_args = args;
  json_args.insert(json_args.begin() + 1, "--json");
  auto json = ossa::test::run_ossa_in_terminal(json_args);
  ASSERT_EQ(json.exit_code, 0) << json.out;
  EXPECT_EQ(json.out.find(drawn), std::string::npos) << json.out;

  auto quiet = args;
  quiet.insert(quiet.begin(), "-q");
  auto q = ossa::test::run_ossa_in_terminal(quiet);
  ASSERT_EQ(q.exit_code, 0) << q.out;
  EXPECT_NE(q.out.find("The answer is 87."), std::string::npos) << q.out;
  EXPECT_EQ(q.out.find("tok/s"), std::string::npos) << q.out;
  EXPECT_EQ(q.out.find("loading model"), std::string::npos) << q.out;
}

// `ossa serve` with no model named falls back on the demo model too, and runs the python calls
// the model writes in its sandbox (Responses API, code_interpreter): the answer holds the
// number the sandbox computed.
TEST_F(DemoModel, ServeAnswersThroughAServerSidePythonCall) {
  ossa::test::ServerProcess server({OSSA_BINARY, "serve", "--config", (root_ / "none.toml").string(),
                                    "--port", "0", "--data-dir", (root_ / "serve").string(),
                                    "--workspace", (root_ / "ws").string()});
  ASSERT_FALSE(server.url().empty());
  json req = {{"model", "demo-model"},
              {"input", "What is 41 plus 46?"},
              {"tools", json::array({{{"type", "code_interpreter"}, {"container", {{"type", "auto"}}}}})},
              {"max_output_tokens", 300}};
  auto [status, body] = ossa::test::http_request(server.port(), "POST", "/v1/responses", req.dump());
  ASSERT_EQ(status, 200) << body;
  json res = json::parse(body);
  EXPECT_EQ(res["status"], "completed") << body;
  std::string code_output, answer;
  for (const json& item : res["output"]) {
    if (item["type"] == "code_interpreter_call")
      for (const json& o : item.value("outputs", json::array())) code_output += o.value("logs", "");
    if (item["type"] == "message")
      for (const json& c : item["content"]) answer += c.value("text", "");
  }
  EXPECT_EQ(code_output, "87\n") << body;  // computed in the sandbox
  EXPECT_NE(answer.find("87"), std::string::npos) << body;
}

}  // namespace
