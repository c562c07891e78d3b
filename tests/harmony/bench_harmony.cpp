// Harmony codec speed: tokenizer MB/s on a realistic mixed text (bench_corpus.hpp), parser
// ns/token on a model-shaped completion, renderer and rank loading.
//   build/release/tests/harmony/ossa_bench_harmony --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "runtime/harmony/renderer.hpp"
#include "runtime/harmony/stream_parser.hpp"
#include "tests/harmony/bench_corpus.hpp"

using namespace ossa::harmony;

namespace {

const std::string& corpus() {
  static const std::string c = ossa::test::bench_corpus();
  return c;
}

void BM_TokenizerEncodeOrdinary(benchmark::State& state) {
  const Tokenizer& tok = Tokenizer::builtin();
  std::vector<TokenId> out;
  size_t n = 0;
  for (auto _ : state) {
    out.clear();
    tok.encode_ordinary(corpus(), out);
    n = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().size()));
  state.counters["bytes"] = static_cast<double>(corpus().size());
  state.counters["tokens"] = static_cast<double>(n);
}
BENCHMARK(BM_TokenizerEncodeOrdinary)->Unit(benchmark::kMicrosecond);

void BM_TokenizerEncodeWithSpecials(benchmark::State& state) {
  const Tokenizer& tok = Tokenizer::builtin();
  std::vector<TokenId> out;
  for (auto _ : state) {
    out.clear();
    tok.encode_with_specials(corpus(), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().size()));
}
BENCHMARK(BM_TokenizerEncodeWithSpecials)->Unit(benchmark::kMicrosecond);

void BM_TokenizerDecode(benchmark::State& state) {
  const Tokenizer& tok = Tokenizer::builtin();
  const auto ids = tok.encode_ordinary(corpus());
  std::string out;
  for (auto _ : state) {
    out.clear();
    tok.decode_bytes(ids, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().size()));
}
BENCHMARK(BM_TokenizerDecode)->Unit(benchmark::kMicrosecond);

// An assistant turn as the model writes it: analysis, a tool call, then a long final answer.
// Headers are encoded with specials; the content pieces are ordinary text (the corpus contains
// special-token-looking text that must stay text, as it would in real model output).
std::vector<TokenId> completion_tokens() {
  const Tokenizer& tok = Tokenizer::builtin();
  std::vector<TokenId> ids;
  tok.encode_with_specials("<|channel|>analysis<|message|>", ids);
  tok.encode_ordinary(corpus().substr(0, 2000), ids);
  tok.encode_with_specials("<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary "
                           "<|constrain|>json<|message|>{\"location\":\"Tokyo\",\"unit\":\"c\"}<|call|>"
                           "<|start|>assistant<|channel|>final<|message|>", ids);
  tok.encode_ordinary(corpus(), ids);
  ids.push_back(tokens::kReturn);
  return ids;
}

void parse_bench(benchmark::State& state, ParserMode mode) {
  const auto ids = completion_tokens();
  for (auto _ : state) {
    StreamParser p(Tokenizer::builtin(), {Role::Assistant, mode});
    for (TokenId t : ids) p.push(t);
    p.end_of_stream();
    if (p.messages().size() != 3) state.SkipWithError("the completion did not parse");
    benchmark::DoNotOptimize(p.messages().data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
  state.counters["ns_per_token"] = benchmark::Counter(
      static_cast<double>(state.iterations() * ids.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}
void BM_ParserTolerant(benchmark::State& state) { parse_bench(state, ParserMode::Tolerant); }
void BM_ParserStrict(benchmark::State& state) { parse_bench(state, ParserMode::Strict); }
BENCHMARK(BM_ParserTolerant)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParserStrict)->Unit(benchmark::kMicrosecond);

void BM_RenderToolConversation(benchmark::State& state) {
  auto v = ossa::test::load_json("harmony/cases/render_fixture_render_functions_with_parameters.json");
  auto conv = conversation_from_json(v["conversation"]);
  Renderer r(Tokenizer::builtin());
  for (auto _ : state) {
    auto out = r.render_for_completion(*conv, Role::Assistant);
    benchmark::DoNotOptimize(out.ok());
  }
}
BENCHMARK(BM_RenderToolConversation)->Unit(benchmark::kMicrosecond);

void BM_LoadRanksFile(benchmark::State& state) {
  const std::string text = ossa::test::read_file(OSSA_HARMONY_RANKS_FILE);
  for (auto _ : state) {
    auto t = Tokenizer::from_tiktoken(text);
    benchmark::DoNotOptimize(t.ok());
  }
}
BENCHMARK(BM_LoadRanksFile)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
