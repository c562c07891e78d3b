// Single-thread throughput of the matmul kernels at gpt-oss-20b shapes, per ISA. Decode (T = 1)
// is bound by reading the weights, so the figure that matters is weight bytes per second.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul.hpp"

using namespace ossa::kernels;

namespace {
void set_level(benchmark::State& state, int level) {
  if (level > static_cast<int>(detected_isa())) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  set_isa(static_cast<Isa>(level));
}

// qkv projection of one layer: 5120 x 2880 bf16 (29 MB, beyond cache).
void BM_MatmulBf16(benchmark::State& state) {
  const std::size_t N = 5120, K = 2880, T = static_cast<std::size_t>(state.range(1));
  set_level(state, static_cast<int>(state.range(0)));
  std::vector<uint16_t> w(N * K, 0x3c00);
  std::vector<float> x(T * K, 0.5f), y(T * N);
  for (auto _ : state) {
    matmul_bf16(x.data(), T, K, w.data(), nullptr, y.data(), N, 0, N);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * N * K * 2));
  state.SetLabel(isa_name(active_isa()));
  set_isa(detected_isa());
}

// Four experts' mlp1 (the decode step's share of one layer): 4 x 5760 x 2880 MXFP4 (4 x 8.8 MB).
void BM_MatmulMxfp4(benchmark::State& state) {
  const std::size_t N = 4 * 5760, K = 2880, T = static_cast<std::size_t>(state.range(1));
  set_level(state, static_cast<int>(state.range(0)));
  std::mt19937 rng(1);
  std::vector<uint8_t> blocks(N * K / 2), scales(N * K / 32, 120);
  for (auto& b : blocks) b = static_cast<uint8_t>(rng());
  std::vector<float> x(T * K, 0.5f), y(T * N);
  for (auto _ : state) {
    matmul_mxfp4(x.data(), T, K, blocks.data(), scales.data(), nullptr, y.data(), N, 0, N);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (N * K / 2 + N * K / 32)));
  state.SetLabel(isa_name(active_isa()));
  set_isa(detected_isa());
}
}  // namespace

BENCHMARK(BM_MatmulBf16)->ArgsProduct({{0, 1, 2}, {1, 4, 32}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatmulMxfp4)->ArgsProduct({{0, 1, 2}, {1, 4, 32}})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
