// Single-thread throughput of the matmul kernels at gpt-oss-20b shapes, per ISA. Decode (T = 1)
// is bound by reading the weights, so the figure that matters is weight bytes per second.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/matmul_mxfp4_q8.hpp"
#include "kernels/cpu/matmul_q8.hpp"
#include "kernels/cpu/matmul_variants.hpp"
#include "kernels/cpu/q8.hpp"

using namespace ossa::kernels;

namespace {
void set_level(benchmark::State& state, int level) {
  if (level > static_cast<int>(detected_isa())) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  set_isa(static_cast<Isa>(level));
}

// N x 2880 bf16 (range 2: N): the qkv projection of one layer (5120 rows, 29 MB, beyond
// cache) and the 16384-row unembedding slice BM_MatmulQ8 uses.
void BM_MatmulBf16(benchmark::State& state) {
  const std::size_t N = static_cast<std::size_t>(state.range(2)), K = 2880, T = static_cast<std::size_t>(state.range(1));
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

// Integer products: path 0 scalar, 1 avx2, 2 avx512 (AVX-512BW), 3 avx512 with VNNI. False
// (the benchmark skipped) when the CPU lacks the path.
bool set_integer_path(benchmark::State& state, int path) {
  if (path == 3 && !has_avx512_vnni()) {
    state.SkipWithError("AVX-512 VNNI not available on this CPU");
    return false;
  }
  set_level(state, path > 2 ? 2 : path);
  return true;
}

// Random MXFP4 weights, N rows of K, every scale 2^-7.
struct Mxfp4Weights {
  std::vector<uint8_t> blocks, scales;
  Mxfp4Weights(std::size_t N, std::size_t K) : blocks(N * K / 2), scales(N * K / 32, 120) {
    std::mt19937 rng(1);
    for (auto& b : blocks) b = static_cast<uint8_t>(rng());
  }
  int64_t bytes() const { return static_cast<int64_t>(blocks.size() + scales.size()); }
};

// Four experts' mlp1 (the decode step's share of one layer): 4 x 5760 x 2880 MXFP4 (4 x 8.8 MB).
void BM_MatmulMxfp4(benchmark::State& state) {
  const std::size_t N = 4 * 5760, K = 2880, T = static_cast<std::size_t>(state.range(1));
  set_level(state, static_cast<int>(state.range(0)));
  const Mxfp4Weights w(N, K);
  const auto& blocks = w.blocks;
  const auto& scales = w.scales;
  std::vector<float> x(T * K, 0.5f), y(T * N);
  for (auto _ : state) {
    matmul_mxfp4(x.data(), T, K, blocks.data(), scales.data(), nullptr, y.data(), N, 0, N);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * w.bytes());
  state.SetLabel(isa_name(active_isa()));
  set_isa(detected_isa());
}

// The Q8 product (the --weights-q8 option) at the same shapes as BM_MatmulBf16 (qkv:
// 5120 x 2880) and a 16384-row slice of the unembedding (201088 x 2880 is too large to be
// quick). Path: 0 scalar, 1 avx2, 2 avx512 (AVX-512BW), 3 avx512 with VNNI. x is quantized in
// each iteration, as matmul_q8 does.
void BM_MatmulQ8(benchmark::State& state) {
  const std::size_t N = static_cast<std::size_t>(state.range(2)), K = 2880, T = static_cast<std::size_t>(state.range(1));
  const int path = static_cast<int>(state.range(0));
  if (!set_integer_path(state, path)) return;
  std::mt19937 rng(1);
  std::vector<int8_t> wq(N * K), xq(T * K);
  for (auto& v : wq) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  std::vector<float> wd(N * K / 32, 0.01f), xd(T * K / 32), x(T * K, 0.5f), y(T * N);
  auto product = path == 3 ? &avx512::matmul_q8_int8_vnni : path == 2 ? &avx512::matmul_q8_int8_bw
                 : path == 1 ? &avx2::matmul_q8_int8 : &scalar::matmul_q8_int8;
  for (auto _ : state) {
    for (std::size_t t = 0; t < T; ++t) quantize_f32_q8(&x[t * K], K, &xq[t * K], &xd[t * K / 32]);
    product(xq.data(), xd.data(), T, K, wq.data(), wd.data(), nullptr, y.data(), N, 0, N);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * N * q8_row_bytes(K)));
  state.SetLabel(path == 3 ? "avx512-vnni" : isa_name(active_isa()));
  set_isa(detected_isa());
}

// The MXFP4 x Q8 product at BM_MatmulMxfp4's shape. Path: 0 scalar, 1 avx2, 2 avx512
// (AVX-512BW), 3 avx512 with VNNI; levels 1 (--weights-q8 experts) or 3 (the default path).
// x is quantized into the panel in each iteration, as the engine does once per expert product.
void BM_MatmulMxfp4Q8(benchmark::State& state) {
  const std::size_t N = 4 * 5760, K = 2880, T = static_cast<std::size_t>(state.range(1));
  const std::size_t levels = static_cast<std::size_t>(state.range(2));
  const int path = static_cast<int>(state.range(0));
  if (!set_integer_path(state, path)) return;
  const Mxfp4Weights w(N, K);
  std::vector<float> x(T * K, 0.5f), y(T * N);
  Mxfp4Q8Panel panel;
  auto product = path == 3 ? &avx512::matmul_mxfp4_q8_vnni : path == 2 ? &avx512::matmul_mxfp4_q8_bw
                 : path == 1 ? &avx2::matmul_mxfp4_q8 : &scalar::matmul_mxfp4_q8;
  for (auto _ : state) {
    prepare_mxfp4_q8(x.data(), T, K, levels, panel);
    product(panel, w.blocks.data(), w.scales.data(), nullptr, y.data(), N, 0, N);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * w.bytes());
  state.SetLabel(path == 3 ? "avx512-vnni" : isa_name(active_isa()));
  set_isa(detected_isa());
}

// The activation panel alone (range 0: ISA level 0 scalar, 1 avx2, 2 avx512; range 1: rows;
// range 2: levels), K = 2880: a decode step prepares eight of one row per layer on the calling
// thread while the others wait.
void BM_PrepareMxfp4Q8(benchmark::State& state) {
  const std::size_t K = 2880, T = static_cast<std::size_t>(state.range(1));
  const std::size_t levels = static_cast<std::size_t>(state.range(2));
  set_level(state, static_cast<int>(state.range(0)));
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(T * K);
  for (auto& v : x) v = nd(rng);
  Mxfp4Q8Panel panel;
  for (auto _ : state) {
    prepare_mxfp4_q8(x.data(), T, K, levels, panel);
    benchmark::DoNotOptimize(panel.data.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * T));
  state.SetLabel(isa_name(active_isa()));
  set_isa(detected_isa());
}
}  // namespace

BENCHMARK(BM_PrepareMxfp4Q8)->ArgsProduct({{0, 1, 2}, {1, 64}, {1, 3}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatmulBf16)->ArgsProduct({{0, 1, 2}, {1, 4, 32}, {5120}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatmulBf16)->ArgsProduct({{1, 2}, {1}, {16384}})->Unit(benchmark::kMillisecond);
// A 512-token prompt through one attention weight (prefill).
BENCHMARK(BM_MatmulBf16)->ArgsProduct({{2}, {512}, {5120}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatmulMxfp4)->ArgsProduct({{0, 1, 2}, {1, 4, 32}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatmulMxfp4Q8)->ArgsProduct({{0, 1, 2, 3}, {1, 4, 32}, {1, 3}})->Unit(benchmark::kMillisecond);
// An expert's share of a 512-token prefill (512 x 4 routes / 32 experts).
BENCHMARK(BM_MatmulMxfp4Q8)->ArgsProduct({{1, 3}, {64}, {1, 3}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatmulQ8)->ArgsProduct({{0, 1, 2, 3}, {1, 4, 32}, {5120}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatmulQ8)->ArgsProduct({{1, 2, 3}, {1}, {16384}})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
