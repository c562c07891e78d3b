// Agent loop overhead, apart from the model: a scripted source answers instantly, so what is
// measured is rendering, the worker round trips (chunks of 16 tokens), tolerant parsing, event
// fan-out and fsynced transcript writes.
//   BM_FinalAnswer/N: one turn whose answer is N tokens  -> per-token loop cost
//   BM_ToolRound: one tool call + result + final answer   -> per-round cost (fsyncs included)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "runtime/agent_session.hpp"
#include "tests/runtime/scripted_token_source.hpp"

namespace asio = boost::asio;
using namespace ossa;
using namespace ossa::runtime;

namespace {

class EchoTool final : public tools::Tool {
 public:
  EchoTool() {
    spec_.ns = "functions";
    spec_.name = "echo";
    spec_.description = "Echoes.";
    spec_.parameters = tools::Json::parse(R"({"type":"object","properties":{"x":{"type":"string"}}})");
  }
  const tools::ToolSpec& spec() const override { return spec_; }
  asio::awaitable<tools::ToolResult> invoke(const tools::ToolCall& call, tools::ToolContext&) override {
    co_return tools::ToolResult::success(call.body);
  }

 private:
  tools::ToolSpec spec_;
};

TurnResult run_once(EngineWorker& worker, const tools::Registry& reg,
                    const std::vector<std::string>& script, TranscriptWriter* tw) {
  asio::io_context io;
  ossa::test::ScriptedTokenSource src(script);
  SessionDeps d;
  d.tokenizer = &harmony::Tokenizer::builtin();
  d.registry = &reg;
  d.worker = &worker;
  d.source = &src;
  if (tw) d.events.add(std::make_shared<TranscriptSink>(*tw));
  SessionOptions o;
  o.date = "2026-01-01";
  AgentSession s(std::move(d), o);
  s.start_new();
  TurnResult r;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { r = co_await s.run_turn("go"); },
                 [](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                 });
  io.run();
  return r;
}

void BM_FinalAnswer(benchmark::State& state) {
  EngineWorker worker;
  tools::Registry reg;
  std::string words;
  for (int i = 0; i < state.range(0); ++i) words += " word";
  std::vector<std::string> script{"<|channel|>final<|message|>" + words + "<|return|>"};
  for (auto _ : state) {
    TurnResult r = run_once(worker, reg, script, nullptr);
    if (r.reason != "final") state.SkipWithError("turn did not end with a final answer");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FinalAnswer)->Arg(64)->Arg(1024)->Unit(benchmark::kMicrosecond);

void BM_ToolRound(benchmark::State& state) {
  EngineWorker worker;
  tools::Registry reg;
  reg.add(std::make_shared<EchoTool>());
  std::vector<std::string> script{
      " to=functions.echo<|channel|>commentary <|constrain|>json<|message|>{\"x\":\"hi\"}<|call|>",
      "<|channel|>final<|message|>done<|return|>"};
  auto dir = std::filesystem::temp_directory_path() / ("ossa_bench_" + std::to_string(::getpid()));
  int n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto tw = TranscriptWriter::create((dir / (std::to_string(n++) + ".jsonl")).string());
    state.ResumeTiming();
    TurnResult r = run_once(worker, reg, script, &tw);
    if (r.reason != "final") state.SkipWithError("turn did not end with a final answer");
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ToolRound)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
