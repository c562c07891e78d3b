// The agent loop driven by a scripted token source (the engine test double): tool dispatch,
// broken model output, guards, approvals, concurrency between sessions, resume after a crash.
// The tools here are small test tools registered in a real tools::Registry; the loop, the
// harmony renderer/parser, the worker and the transcript are the real ones.
// GCC 12 with -fsanitize at -O2 reports coroutine frames freed through asio's awaitable
// operator delete as mismatched (a known false positive, GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "runtime/agent_session.hpp"
#include "runtime/environment.hpp"
#include "runtime/harmony/renderer.hpp"
#include "tests/runtime/scripted_token_source.hpp"

namespace asio = boost::asio;
using namespace ossa;
using namespace ossa::runtime;
using nlohmann::json;
using ossa::test::ScriptedTokenSource;
using Clock = std::chrono::steady_clock;

namespace {

// A tool that records its calls and answers with a fixed text, optionally after a delay.
class TestTool final : public tools::Tool {
 public:
  TestTool(tools::ToolSpec spec, std::string reply, std::chrono::milliseconds delay = {})
      : spec_(std::move(spec)), reply_(std::move(reply)), delay_(delay) {}
  const tools::ToolSpec& spec() const override { return spec_; }
  asio::awaitable<tools::ToolResult> invoke(const tools::ToolCall& call,
                                            tools::ToolContext& ctx) override {
    ++calls;
    last_arguments = call.arguments;
    last_body = call.body;
    if (delay_.count() > 0) {
      asio::steady_timer t(ctx.executor, delay_);
      boost::system::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return tools::ToolResult::failure("interrupted");
    }
    finished_at = Clock::now();
    co_return tools::ToolResult::success(reply_);
  }
  std::atomic<int> calls{0};
  json last_arguments;
  std::string last_body;
  Clock::time_point finished_at{};

 private:
  tools::ToolSpec spec_;
  std::string reply_;
  std::chrono::milliseconds delay_;
};

tools::ToolSpec weather_spec() {
  tools::ToolSpec s;
  s.ns = "functions";
  s.name = "get_weather";
  s.description = "Current weather for a location.";
  s.parameters = json::parse(R"({"type":"object","properties":{
      "location":{"type":"string"},
      "units":{"type":"string","enum":["celsius","fahrenheit"]}},
    "required":["location"]})");
  return s;
}

tools::ToolSpec simple_spec(std::string ns, std::string name, tools::BodyKind body) {
  tools::ToolSpec s;
  s.ns = std::move(ns);
  s.name = std::move(name);
  s.description = "test tool";
  s.body = body;
  if (body == tools::BodyKind::json)
    s.parameters = json::parse(R"({"type":"object","properties":{"query":{"type":"string"}}})");
  return s;
}

const std::string kCallWeather =
    " to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>"
    "{\"location\":\"Paris\"}<|call|>";
const std::string kFinal = "<|channel|>final<|message|>It is sunny.<|return|>";

struct Harness {
  asio::io_context io;
  EngineWorker worker;
  tools::Registry registry;
  std::shared_ptr<TestTool> weather =
      std::make_shared<TestTool>(weather_spec(), "{\"sky\":\"sunny\",\"temp\":21}");
  std::vector<Event> events;
  SessionOptions options;
  tools::ToolContext tool_context;
  const tools::Registry* registry_override = nullptr;  // an Environment's
  std::string dir;

  Harness() {
    registry.add(weather);
    options.date = "2026-11-28";
    options.limits.wall_time_s = 30;
    dir = (std::filesystem::temp_directory_path() /
           ("ossa_loop_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name()))
              .string();
    std::filesystem::remove_all(dir);
  }
  ~Harness() { std::filesystem::remove_all(dir); }

  SessionDeps deps(TokenSource& src, TranscriptWriter* tw = nullptr) {
    SessionDeps d;
    d.tokenizer = &harmony::Tokenizer::builtin();
    d.registry = registry_override ? registry_override : &registry;
    d.worker = &worker;
    d.source = &src;
    d.tool_context = tool_context;
    if (tw) d.events.add(std::make_shared<TranscriptSink>(*tw));
    d.events.add(std::make_shared<CallbackSink>(
        [this](const SessionEvent&, const Event& e) { events.push_back(e); }));
    return d;
  }

  static void rethrow(std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  }

  TurnResult turn(AgentSession& s, std::optional<std::string> user) {
    TurnResult r;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { r = co_await s.run_turn(user); }, rethrow);
    io.run();
    io.restart();
    return r;
  }

  // A new session over `src`, one turn with `user`.
  TurnResult run(ScriptedTokenSource& src, const std::string& user,
                 TranscriptWriter* tw = nullptr) {
    AgentSession s(deps(src, tw), options);
    s.start_new();
    return turn(s, user);
  }

  std::vector<Event> tool_messages() const {
    std::vector<Event> out;
    for (const auto& e : events)
      if (e["type"] == "message" && e["message"]["role"] == "tool") out.push_back(e["message"]);
    return out;
  }
  static std::string text_of(const Event& m) {
    if (m["content"].is_string()) return m["content"];
    std::string t;
    for (const auto& c : m["content"]) t += c.value("text", "");
    return t;
  }
};

}  // namespace

TEST(Loop, ValidFunctionCallThenFinal) {
  Harness h;
  ScriptedTokenSource src({"<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant" +
                               kCallWeather,
                           kFinal});
  TurnResult r = h.run(src, "Weather in Paris?");
  EXPECT_EQ(r.reason, "final") << r.detail;
  EXPECT_EQ(r.final_text, "It is sunny.");
  EXPECT_EQ(r.tool_rounds, 1);
  EXPECT_EQ(h.weather->calls, 1);
  EXPECT_EQ(h.weather->last_arguments["location"], "Paris");
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 1u);
  EXPECT_EQ(tm[0]["name"], "functions.get_weather");
  EXPECT_NE(Harness::text_of(tm[0]).find("sunny"), std::string::npos);
  // The second round re-used the first round's KV cache: only the tool message and the new
  // header were processed, not the whole prompt.
  auto rep = src.reprocessed();
  auto prompts = src.prompts();
  ASSERT_EQ(rep.size(), 2u);
  EXPECT_EQ(rep[0], prompts[0].size());
  EXPECT_LT(rep[1], prompts[1].size() - prompts[0].size());
  EXPECT_GT(rep[1], 0u);
  std::printf("prompt %zu tokens, round 2 prompt %zu tokens, re-processed %zu\n", prompts[0].size(),
              prompts[1].size(), rep[1]);
}

TEST(Loop, InvalidArgumentsGoBackToTheModel) {
  Harness h;
  ScriptedTokenSource src(
      {" to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>"
       "{\"location\":\"Paris\",\"units\":\"kelvin\"}<|call|>",
       " to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{not json<|call|>",
       kFinal});
  TurnResult r = h.run(src, "Weather?");
  EXPECT_EQ(r.reason, "final");
  EXPECT_EQ(h.weather->calls, 0);
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 2u);
  EXPECT_NE(Harness::text_of(tm[0]).find("kelvin"), std::string::npos) << tm[0];
  EXPECT_NE(Harness::text_of(tm[1]).find("Invalid arguments"), std::string::npos) << tm[1];
}

TEST(Loop, PythonAndBrowserCalls) {
  Harness h;
  auto python = std::make_shared<TestTool>(simple_spec("python", "", tools::BodyKind::text), "2");
  auto search =
      std::make_shared<TestTool>(simple_spec("browser", "search", tools::BodyKind::json), "results");
  h.registry.add(python);
  h.registry.add(search);
  ScriptedTokenSource src(
      {" to=python<|channel|>analysis code<|message|>print(1+1)<|call|>",
       // recipient after the channel, as the models also write it
       "<|channel|>analysis to=browser.search <|constrain|>json<|message|>{\"query\":\"ossa\"}<|call|>",
       kFinal});
  TurnResult r = h.run(src, "Compute and search");
  EXPECT_EQ(r.reason, "final") << r.detail;
  EXPECT_EQ(python->calls, 1);
  EXPECT_EQ(python->last_body, "print(1+1)");
  EXPECT_EQ(search->calls, 1);
  EXPECT_EQ(search->last_arguments["query"], "ossa");
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 2u);
  EXPECT_EQ(tm[0]["name"], "python");
  EXPECT_EQ(tm[0]["channel"], "analysis");  // results come back on the call's channel
  EXPECT_EQ(tm[1]["name"], "browser.search");
}

TEST(Loop, PreambleThenCall) {
  Harness h;
  ScriptedTokenSource src({"<|channel|>commentary<|message|>Checking the weather.<|end|>"
                           "<|start|>assistant<|channel|>commentary to=functions.get_weather "
                           "<|constrain|>json<|message|>{\"location\":\"Oslo\"}<|call|>",
                           kFinal});
  TurnResult r = h.run(src, "Weather in Oslo?");
  EXPECT_EQ(r.reason, "final");
  EXPECT_EQ(h.weather->calls, 1);
  EXPECT_EQ(h.weather->last_arguments["location"], "Oslo");
  std::string preamble;
  for (const auto& e : h.events)
    if (e["type"] == "delta" && e["channel"] == "commentary") preamble += e["text"];
  EXPECT_NE(preamble.find("Checking the weather."), std::string::npos);
}

TEST(Loop, RecipientInEitherHeader) {
  Harness h;
  ScriptedTokenSource src(
      {kCallWeather,  // role header: assistant to=functions.get_weather<|channel|>commentary
       "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
       "{\"location\":\"Rome\"}<|call|>",
       kFinal});
  TurnResult r = h.run(src, "Two cities");
  EXPECT_EQ(r.reason, "final");
  EXPECT_EQ(h.weather->calls, 2);
  EXPECT_EQ(h.weather->last_arguments["location"], "Rome");
}

TEST(Loop, StreamEndingMidCallIsReportedAndNotRun) {
  Harness h;
  ScriptedTokenSource src(
      {" to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"locat",
       kFinal});
  TurnResult r = h.run(src, "Weather?");
  EXPECT_EQ(r.reason, "final") << r.detail;
  EXPECT_EQ(h.weather->calls, 0);
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 1u);
  EXPECT_EQ(tm[0]["name"], "runtime");
  EXPECT_NE(Harness::text_of(tm[0]).find("could not be used"), std::string::npos);
}

TEST(Loop, RepeatedIdenticalCallsWarnThenStop) {
  Harness h;
  h.options.limits.repeat_limit = 2;
  ScriptedTokenSource src({kCallWeather, kCallWeather, kCallWeather, kCallWeather, kCallWeather});
  TurnResult r = h.run(src, "Weather?");
  EXPECT_EQ(r.reason, "repeated_call");
  EXPECT_NE(r.detail.find("functions.get_weather"), std::string::npos) << r.detail;
  EXPECT_EQ(h.weather->calls, 2);
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 3u);
  EXPECT_NE(Harness::text_of(tm[2]).find("exact call"), std::string::npos);
  bool warned = false;
  for (const auto& e : h.events) warned |= e["type"] == "warning";
  EXPECT_TRUE(warned);
}

TEST(Loop, UnknownToolIsToldToTheModel) {
  Harness h;
  ScriptedTokenSource src(
      {" to=functions.launch_rocket<|channel|>commentary json<|message|>{}<|call|>", kFinal});
  TurnResult r = h.run(src, "Go");
  EXPECT_EQ(r.reason, "final");
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 1u);
  EXPECT_EQ(tm[0]["name"], "functions.launch_rocket");
  EXPECT_NE(Harness::text_of(tm[0]).find("Unknown tool"), std::string::npos) << tm[0];
  EXPECT_NE(Harness::text_of(tm[0]).find("functions.get_weather"), std::string::npos);
}

TEST(Loop, ToolTimeoutStopsTheToolAndContinues) {
  Harness h;
  auto slow = std::make_shared<TestTool>(simple_spec("functions", "slow", tools::BodyKind::json),
                                         "late", std::chrono::milliseconds(20000));
  h.registry.add(slow);
  h.options.limits.tool_timeout_s = 0.2;
  ScriptedTokenSource src(
      {" to=functions.slow<|channel|>commentary json<|message|>{}<|call|>", kFinal});
  auto t0 = Clock::now();
  TurnResult r = h.run(src, "Go");
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(r.reason, "final");
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 1u);
  EXPECT_NE(Harness::text_of(tm[0]).find("did not finish"), std::string::npos) << tm[0];
}

TEST(Loop, SeveralSessionsAtOnceASlowToolStallsNoOther) {
  Harness h;
  auto slow = std::make_shared<TestTool>(simple_spec("functions", "slow", tools::BodyKind::json),
                                         "done", std::chrono::milliseconds(1500));
  h.registry.add(slow);
  const auto per_token = std::chrono::microseconds(200);
  ScriptedTokenSource a({" to=functions.slow<|channel|>commentary json<|message|>{}<|call|>", kFinal},
                        per_token);
  ScriptedTokenSource b({kCallWeather,
                         " to=functions.get_weather<|channel|>commentary json<|message|>"
                         "{\"location\":\"Lima\"}<|call|>",
                         kFinal},
                        per_token);
  AgentSession sa(h.deps(a), h.options), sb(h.deps(b), h.options);
  sa.start_new();
  sb.start_new();
  TurnResult ra, rb;
  Clock::time_point b_done{};
  asio::co_spawn(
      h.io, [&]() -> asio::awaitable<void> { ra = co_await sa.run_turn("slow one"); },
      Harness::rethrow);
  asio::co_spawn(
      h.io,
      [&]() -> asio::awaitable<void> {
        rb = co_await sb.run_turn("fast one");
        b_done = Clock::now();
      },
      Harness::rethrow);
  h.io.run();
  EXPECT_EQ(ra.reason, "final");
  EXPECT_EQ(rb.reason, "final");
  EXPECT_EQ(h.weather->calls, 2);
  // Session b generated three rounds and ran two tools while a's tool was still running.
  EXPECT_LT(b_done, slow->finished_at);
}

TEST(Loop, ApprovalsDeniedAndGranted) {
  Harness h;
  auto shell = std::make_shared<TestTool>(simple_spec("functions", "shell", tools::BodyKind::json),
                                          "ok");
  h.registry.add(shell);
  const std::string call = " to=functions.shell<|channel|>commentary json<|message|>{}<|call|>";
  {
    h.options.approve = ApproveMode::none;
    ScriptedTokenSource src({call, kFinal});
    EXPECT_EQ(h.run(src, "Run it").reason, "final");
    EXPECT_EQ(shell->calls, 0);
    EXPECT_NE(Harness::text_of(h.tool_messages().back()).find("did not approve"), std::string::npos);
  }
  {
    h.options.approve = ApproveMode::ask;
    int asked = 0;
    ScriptedTokenSource src({call, kFinal});
    SessionDeps d = h.deps(src);
    d.approver = [&asked](const tools::ToolCall&) -> asio::awaitable<bool> {
      ++asked;
      co_return true;
    };
    AgentSession s(std::move(d), h.options);
    s.start_new();
    EXPECT_EQ(h.turn(s, "Run it").reason, "final");
    EXPECT_EQ(asked, 1);
    EXPECT_EQ(shell->calls, 1);
  }
}

TEST(Loop, GuardsMaxToolRoundsAndMaxTokens) {
  Harness h;
  h.options.limits.max_tool_rounds = 1;
  ScriptedTokenSource src({kCallWeather, " to=functions.get_weather<|channel|>commentary json"
                                         "<|message|>{\"location\":\"B\"}<|call|>"});
  TurnResult r = h.run(src, "Go");
  EXPECT_EQ(r.reason, "max_tool_rounds");
  EXPECT_EQ(h.weather->calls, 1);

  Harness h2;
  h2.options.limits.max_tokens = 10;
  ScriptedTokenSource src2({"<|channel|>analysis<|message|>" + std::string(200, 'x') + "<|end|>"});
  r = h2.run(src2, "Go");
  EXPECT_EQ(r.reason, "max_tokens");
  EXPECT_EQ(r.generated_tokens, 10);
}

TEST(Loop, CancelEndsTheRunningToolCleanly) {
  Harness h;
  auto slow = std::make_shared<TestTool>(simple_spec("functions", "slow", tools::BodyKind::json),
                                         "late", std::chrono::milliseconds(20000));
  h.registry.add(slow);
  ScriptedTokenSource src(
      {" to=functions.slow<|channel|>commentary json<|message|>{}<|call|>", kFinal});
  AgentSession s(h.deps(src), h.options);
  s.start_new();
  asio::steady_timer t(h.io, std::chrono::milliseconds(200));
  t.async_wait([&](boost::system::error_code) { s.cancel(); });
  auto t0 = Clock::now();
  TurnResult r = h.turn(s, "Go");
  EXPECT_EQ(r.reason, "cancelled");
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
}

TEST(Loop, ResumeAfterSimulatedCrash) {
  Harness h;
  const std::string path = h.dir + "/s.jsonl";
  {
    // The first process: the model calls a tool, the result is recorded, then the process
    // dies while the next message is being written (a torn last line).
    auto tw = TranscriptWriter::create(path);
    tw.append({{"type", "session_start"}, {"id", "crash-test"}}, true);
    ScriptedTokenSource src({kCallWeather});
    TurnResult r = h.run(src, "Weather in Paris?", &tw);
    EXPECT_EQ(r.reason, "model_stopped");
  }
  { std::ofstream(path, std::ios::app) << R"({"type":"message","message":{"role":"assis)"; }

  auto contents = read_transcript(path);
  EXPECT_TRUE(contents.torn_tail);
  auto msgs = transcript_messages(contents);
  auto tw = TranscriptWriter::open_existing(path);
  ScriptedTokenSource src({kFinal});
  AgentSession s(h.deps(src, &tw), h.options);
  s.resume(msgs);
  EXPECT_FALSE(s.turn_complete());
  TurnResult r = h.turn(s, std::nullopt);
  EXPECT_EQ(r.reason, "final");
  EXPECT_EQ(r.final_text, "It is sunny.");

  // Nothing was lost: the resumed prompt holds the user's task and the tool's result, and the
  // transcript now reads back as the whole conversation.
  const auto& tok = harmony::Tokenizer::builtin();
  std::string prompt = tok.decode_lossy(src.prompts().at(0));
  EXPECT_NE(prompt.find("Weather in Paris?"), std::string::npos);
  EXPECT_NE(prompt.find("sunny"), std::string::npos);
  auto again = read_transcript(path);
  EXPECT_FALSE(again.torn_tail);
  auto all = transcript_messages(again);
  ASSERT_GE(all.size(), 5u);  // system, developer, user, call, tool result, final
  EXPECT_EQ(all.back()["channel"], "final");
}

TEST(Loop, ResumeAfterCrashDuringATool) {
  Harness h;
  // A transcript that ends with the call: the process died while the tool ran.
  std::vector<Event> msgs;
  msgs.push_back({{"role", "user"}, {"content", "Weather?"}});
  msgs.push_back({{"role", "assistant"},
                  {"channel", "commentary"},
                  {"recipient", "functions.get_weather"},
                  {"content_type", "<|constrain|>json"},
                  {"content", "{\"location\":\"Paris\"}"}});
  ScriptedTokenSource src({kFinal});
  AgentSession s(h.deps(src), h.options);
  s.resume(msgs);
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 1u);
  EXPECT_EQ(tm[0]["name"], "functions.get_weather");
  EXPECT_NE(Harness::text_of(tm[0]).find("result is unknown"), std::string::npos);
  EXPECT_EQ(h.turn(s, std::nullopt).reason, "final");
  EXPECT_EQ(h.weather->calls, 0);  // never re-run behind the user's back
}

// The loop with the real built-in tools the configuration selects (python in its sandbox,
// apply_patch on the workspace), through the Environment: the scripted model only chooses
// the calls, the tools really run.
TEST(Loop, RealBuiltinToolsFromTheConfiguration) {
  Harness h;
  std::filesystem::create_directories(h.dir + "/ws");
  Config cfg;
  cfg.tools = {"python", "apply_patch"};
  cfg.workspace = h.dir + "/ws";
  Environment env(cfg);
  h.registry_override = &env.registry();
  h.tool_context = env.tool_context({}, nullptr);
  h.options.approve = ApproveMode::all;
  ScriptedTokenSource src(
      {" to=python<|channel|>analysis code<|message|>x = 6 * 7\nprint(x)<|call|>",
       " to=functions.apply_patch<|channel|>commentary<|message|>*** Begin Patch\n"
       "*** Add File: answer.txt\n+42\n*** End Patch<|call|>",
       kFinal});
  TurnResult r = h.run(src, "Compute and save");
  EXPECT_EQ(r.reason, "final") << r.detail;
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 2u);
  EXPECT_EQ(tm[0]["name"], "python");
  const std::string py = Harness::text_of(tm[0]);
  if (py.find("sandbox") != std::string::npos && py.find("42") == std::string::npos)
    GTEST_SKIP() << "python sandbox unavailable here: " << py;
  EXPECT_NE(py.find("42"), std::string::npos) << py;
  EXPECT_EQ(tm[1]["name"], "functions.apply_patch");
  std::ifstream f(h.dir + "/ws/answer.txt");
  std::string content;
  std::getline(f, content);
  EXPECT_EQ(content, "42") << Harness::text_of(tm[1]);
}

// The tools own their model-facing text: a namespace is shown as the registry describes it,
// and the runtime adds nothing (it used to patch harmony's copy of python's and the
// browser's descriptions into namespaces that had none).
TEST(Loop, NamespacesAreShownAsTheToolsDescribeThem) {
  Harness h;
  tools::ToolSpec python = simple_spec("python", "", tools::BodyKind::text);
  python.description.clear();  // a python tool that says nothing about itself
  h.registry.add(std::make_shared<TestTool>(python, ""));
  h.registry.add(
      std::make_shared<TestTool>(simple_spec("browser", "search", tools::BodyKind::json), ""));
  h.registry.describe_namespace("browser", "Browse, as the browser tool says.");
  ScriptedTokenSource src({kFinal});
  EXPECT_EQ(h.run(src, "Hi").reason, "final");
  Event system;
  for (const auto& e : h.events)
    if (e["type"] == "message" && e["message"]["role"] == "system") system = e["message"];
  ASSERT_TRUE(system.is_object());
  Event tools_map;
  for (const auto& item : system["content"])
    if (item.contains("tools")) tools_map = item["tools"];
  ASSERT_TRUE(tools_map.is_object()) << system;
  // Not harmony's copy of the reference text ("... Depends on the cluster.").
  const Event& py = tools_map["python"];
  EXPECT_TRUE(py.value("description", Event()).is_null() || py["description"] == "") << py;
  EXPECT_EQ(tools_map["browser"]["description"], "Browse, as the browser tool says.");
}

namespace {
// Processes (any, on this machine) whose command line contains `marker`.
int processes_with(const std::string& marker) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    n += cmd.find(marker) != std::string::npos;
  }
  return n;
}
}  // namespace

// Ctrl-C (cancel) while a real sandboxed tool runs a process tree: the turn ends as cancelled
// at once and no process of the tree is left.
TEST(Loop, CancelDuringARealToolLeavesNoProcess) {
  Harness h;
  std::filesystem::create_directories(h.dir + "/ws");
  Config cfg;
  cfg.tools = {"shell"};
  cfg.workspace = h.dir + "/ws";
  Environment env(cfg);
  h.registry_override = &env.registry();
  h.tool_context = env.tool_context({}, nullptr);
  h.options.approve = ApproveMode::all;
  const std::string marker = "4242.25" + std::to_string(::getpid() % 1000);
  ScriptedTokenSource src(
      {" to=functions.shell<|channel|>commentary json<|message|>{\"command\":[\"bash\",\"-c\","
       "\"sleep " + marker + " & sleep " + marker + "; wait\"]}<|call|>",
       kFinal});
  AgentSession s(h.deps(src), h.options);
  s.start_new();
  asio::steady_timer t(h.io, std::chrono::milliseconds(200));
  int running = 0;
  std::function<void(boost::system::error_code)> poll = [&](boost::system::error_code) {
    running = processes_with("sleep " + marker);
    if (running >= 2) {
      s.cancel();
      return;
    }
    t.expires_after(std::chrono::milliseconds(50));
    t.async_wait(poll);
  };
  t.async_wait(poll);
  auto t0 = Clock::now();
  TurnResult r = h.turn(s, "Run it");
  const std::string result = h.tool_messages().empty() ? "" : Harness::text_of(h.tool_messages().back());
  if (running < 2) GTEST_SKIP() << "the sandbox could not run the command here: " << result;
  EXPECT_EQ(r.reason, "cancelled");
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(10));
  // The tool winds down on the loop after the turn ended; give it the time a kill takes.
  for (int i = 0; i < 50 && processes_with("sleep " + marker) > 0; ++i) {
    h.io.run_for(std::chrono::milliseconds(100));
    h.io.restart();
  }
  EXPECT_EQ(processes_with("sleep " + marker), 0);
}

// Issue 17, item 9: `[sandbox] memory_mib` was shown by `ossa config show` but never reached
// the tools (sandboxed code always got 2048 MiB). With memory_mib = 64, a 200 MB allocation in
// the python tool fails; with the default it succeeds.
TEST(Loop, SandboxMemoryFromTheConfigurationReachesPython) {
  auto run_with = [](int memory_mib) {
    Harness h;
    Config cfg;
    cfg.tools = {"python"};
    cfg.sandbox_memory_mib = memory_mib;
    std::filesystem::create_directories(h.dir + "/ws");
    cfg.workspace = h.dir + "/ws";
    Environment env(cfg);
    h.registry_override = &env.registry();
    h.tool_context = env.tool_context({}, nullptr);
    ScriptedTokenSource src(
        {" to=python<|channel|>analysis code<|message|>b = bytearray(200 * 1024 * 1024)\n"
         "print('allocated', len(b))<|call|>",
         kFinal});
    TurnResult r = h.run(src, "Allocate");
    EXPECT_EQ(r.reason, "final") << r.detail;
    auto tm = h.tool_messages();
    return tm.empty() ? std::string() : Harness::text_of(tm[0]);
  };
  const std::string roomy = run_with(2048);
  if (roomy.find("allocated") == std::string::npos && roomy.find("sandbox") != std::string::npos)
    GTEST_SKIP() << "python sandbox unavailable here: " << roomy;
  EXPECT_NE(roomy.find("allocated 209715200"), std::string::npos) << roomy;
  const std::string tight = run_with(64);
  EXPECT_EQ(tight.find("allocated 209715200"), std::string::npos) << tight;
  EXPECT_TRUE(tight.find("MemoryError") != std::string::npos ||
              tight.find("out of memory") != std::string::npos)
      << tight;
}

// An MCP server from the configuration ([mcp_servers.fake], a fake server script in the
// sandbox): the model is shown its tools in TypeScript, calls one and reads the result; a crash
// is reported, and the next call says the server was restarted.
TEST(Loop, McpServerToolFromTheConfiguration) {
  Harness h;
  Config cfg;
  cfg.tools = {};
  std::filesystem::create_directories(h.dir + "/ws");
  cfg.workspace = h.dir + "/ws";
  mcp::ServerConfig fake;
  fake.name = "fake";
  fake.command = "/usr/bin/python3";
  fake.args = {"-u", OSSA_MCP_FAKE_SERVER};
  fake.sandbox.read_only = {std::filesystem::path(OSSA_MCP_FAKE_SERVER).parent_path().string()};
  fake.startup_timeout = std::chrono::seconds(20);
  cfg.mcp_servers = {fake};
  Environment env(cfg);  // the MCP servers start here, as for `ossa run`
  h.registry_override = &env.registry();
  h.tool_context = env.tool_context({}, nullptr);
  ASSERT_TRUE(env.registry().find("functions.fake_echo"));
  ScriptedTokenSource src(
      {" to=functions.fake_echo<|channel|>commentary <|constrain|>json<|message|>"
       "{\"text\":\"from the model\"}<|call|>",
       " to=functions.fake_crash<|channel|>commentary <|constrain|>json<|message|>{}<|call|>",
       " to=functions.fake_count<|channel|>commentary <|constrain|>json<|message|>{}<|call|>",
       kFinal});
  TurnResult r = h.run(src, "Echo something");
  EXPECT_EQ(r.reason, "final") << r.detail;
  auto tm = h.tool_messages();
  ASSERT_EQ(tm.size(), 3u);
  EXPECT_EQ(tm[0]["name"], "functions.fake_echo");
  EXPECT_EQ(Harness::text_of(tm[0]), "echo: from the model");
  EXPECT_NE(Harness::text_of(tm[1]).find("exited with status 3"), std::string::npos) << Harness::text_of(tm[1]);
  EXPECT_NE(Harness::text_of(tm[2]).find("was restarted"), std::string::npos) << Harness::text_of(tm[2]);
  EXPECT_NE(Harness::text_of(tm[2]).find("calls=1"), std::string::npos) << Harness::text_of(tm[2]);
  // The tools were shown through harmony's TypeScript rendering of their JSON Schema.
  const auto& tok = harmony::Tokenizer::builtin();
  std::string prompt = tok.decode_lossy(src.prompts()[0]);
  EXPECT_NE(prompt.find("type fake_echo = (_: {"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("// what to echo\ntext: string"), std::string::npos) << prompt;
}
