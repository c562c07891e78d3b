// Every CUDA op (kernels/cuda/) against the CPU scalar reference (kernels/cpu/) on random inputs,
// llm.c's dev/cuda pattern. Each test states its tolerance: |got - want| <= tol * max(1, |want|),
// the slack that a different summation order in fp32 needs. Without a device every test skips
// with one line (cuda_test.hpp).
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/matmul_variants.hpp"
#include "kernels/cpu/residual.hpp"
#include "kernels/cpu/rmsnorm.hpp"
#include "kernels/cpu/rope.hpp"
#include "kernels/cpu/routing.hpp"
#include "kernels/cpu/swiglu.hpp"
#include "kernels/cuda/argmax.cuh"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/embedding.cuh"
#include "kernels/cuda/matmul_bf16.cuh"
#include "kernels/cuda/matmul_mxfp4.cuh"
#include "kernels/cuda/residual.cuh"
#include "kernels/cuda/rmsnorm.cuh"
#include "kernels/cuda/rope.cuh"
#include "kernels/cuda/routing.cuh"
#include "kernels/cuda/scatter_rows.cuh"
#include "kernels/cuda/swiglu.cuh"
#include "tests/cuda/cuda_test.hpp"
#include "tests/kernels/random_data.hpp"

namespace cu = ossa::kernels::cuda;
namespace cpu = ossa::kernels::scalar;
using ossa::kernels::f32_to_bf16;
using ossa::test::CudaOps;
using ossa::test::to_device;
using ossa::test::to_host;
using ossa::test::expect_near;
using ossa::test::randn;

namespace {
std::vector<std::uint16_t> randn_bf16(std::size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::vector<std::uint16_t> v(n);
  const auto f = randn(n, rng, scale);
  for (std::size_t i = 0; i < n; ++i) v[i] = f32_to_bf16(f[i]);
  return v;
}
}  // namespace

// Runs here without a device: the probe names the problem instead of crashing.
TEST(CudaDevice, AMissingDeviceIsNamedInOneLine) {
  const std::string problem = cu::device_problem(1000);
  EXPECT_THAT(problem, ::testing::HasSubstr("no CUDA device"));
  EXPECT_EQ(problem.find('\n'), std::string::npos);
}

TEST_F(CudaOps, RmsnormMatchesCpu) {  // tol 1e-5
  std::mt19937 rng(1);
  const std::size_t T = 5, H = 2880;
  const auto x = randn(T * H, rng, 3.0f);
  const auto gain = randn_bf16(H, rng);
  std::vector<float> want(T * H);
  cpu::rmsnorm(x.data(), T, H, gain.data(), 1e-5f, want.data());
  auto dx = to_device(x);
  auto dg = to_device(gain);
  cu::DeviceBuffer<float> dy(T * H);
  cu::rmsnorm(dx.get(), T, H, dg.get(), 1e-5f, dy.get(), nullptr);
  expect_near(to_host(dy, T * H), want, 1e-5f, "rmsnorm");
  cu::rmsnorm(dx.get(), T, H, dg.get(), 1e-5f, dx.get(), nullptr);  // in place
  expect_near(to_host(dx, T * H), want, 1e-5f, "rmsnorm in place");
}

TEST_F(CudaOps, RopeMatchesCpu) {  // tol 1e-4 (cos/sin of angles up to ~1e5 radians)
  std::mt19937 rng(2);
  const std::size_t T = 7, heads = 4, d = 64;
  auto x = randn(T * heads * d, rng);
  std::vector<std::size_t> pos = {0, 1, 17, 4095, 4096, 65000, 131071};
  std::vector<float> inv_freq(d / 2);
  for (std::size_t i = 0; i < d / 2; ++i) inv_freq[i] = std::pow(150000.0f, -2.0f * static_cast<float>(i) / d);
  auto dx = to_device(x);
  auto dpos = to_device(pos);
  auto dfreq = to_device(inv_freq);
  cpu::rope(x.data(), T, heads, d, pos.data(), inv_freq.data(), 1.3f);
  cu::rope(dx.get(), T, heads, d, dpos.get(), dfreq.get(), 1.3f, nullptr);
  expect_near(to_host(dx, x.size()), x, 1e-4f, "rope");
}

TEST_F(CudaOps, AttentionMatchesCpuOverPagedBlocksWithSinksAndWindow) {  // tol 1e-4
  std::mt19937 rng(3);
  const std::size_t B = 16, heads = 8, kv_heads = 2, d = 64, row = kv_heads * d, ctx = 230;
  const std::size_t n_blocks = (ctx + B - 1) / B;
  // Blocks in a scrambled order in one pool, as the block pool hands them out.
  std::vector<std::vector<float>> host_blocks(n_blocks);
  std::vector<cu::DeviceBuffer<float>> dev_blocks;
  for (auto& b : host_blocks) {
    b = randn(2 * B * row, rng);
    dev_blocks.push_back(to_device(b));
  }
  const auto sinks = randn(heads, rng);
  auto dsinks = to_device(sinks);
  for (std::size_t window : {std::size_t{0}, std::size_t{128}}) {
    for (std::size_t rows : {std::size_t{1}, std::size_t{37}}) {
      SCOPED_TRACE("window " + std::to_string(window) + ", rows " + std::to_string(rows));
      std::vector<std::size_t> pos(rows);
      for (std::size_t r = 0; r < rows; ++r) pos[r] = ctx - rows + r;
      // With a window, blocks wholly below every query's window are absent (null), as in the engine.
      const std::size_t lo = window && pos[0] + 1 > window ? pos[0] + 1 - window : 0;
      std::vector<const float*> host_table(n_blocks), dev_table(n_blocks);
      for (std::size_t b = 0; b < n_blocks; ++b) {
        const bool present = (b + 1) * B > lo;
        host_table[b] = present ? host_blocks[b].data() : nullptr;
        dev_table[b] = present ? dev_blocks[b].get() : nullptr;
      }
      const auto q = randn(rows * heads * d, rng);
      std::vector<float> want(q.size());
      const float scale = 1.0f / std::sqrt(static_cast<float>(d));
      cpu::attention(q.data(), pos.data(), rows, ossa::kernels::KvView{host_table.data(), B, row},
                     ossa::kernels::AttentionShape{heads, kv_heads, d, window, scale, sinks.data()}, want.data(), 0,
                     rows * heads);
      auto dq = to_device(q);
      auto dpos = to_device(pos);
      auto dtable = to_device(dev_table);
      cu::DeviceBuffer<float> dout(q.size());
      cu::attention(dq.get(), dpos.get(), rows, cu::KvView{dtable.get(), B, row},
                    cu::AttentionShape{heads, kv_heads, d, window, scale, dsinks.get()}, dout.get(), nullptr);
      expect_near(to_host(dout, q.size()), want, 1e-4f, "attention");
    }
  }
}

TEST_F(CudaOps, TopkSoftmaxMatchesCpuWithTies) {  // indices exact, weights tol 1e-6
  std::mt19937 rng(4);
  const std::size_t T = 9, E = 32, K = 4;
  auto g = randn(T * E, rng);
  g[3] = g[7] = g[20] = 5.0f;  // a tie among the top of row 0: lower index first
  std::vector<std::int32_t> want_idx(T * K);
  std::vector<float> want_w(T * K);
  cpu::topk_softmax(g.data(), T, E, K, want_idx.data(), want_w.data());
  auto dg = to_device(g);
  cu::DeviceBuffer<std::int32_t> didx(T * K);
  cu::DeviceBuffer<float> dw(T * K);
  cu::topk_softmax(dg.get(), T, E, K, didx.get(), dw.get(), nullptr);
  EXPECT_EQ(to_host(didx, T * K), want_idx);
  expect_near(to_host(dw, T * K), want_w, 1e-6f, "weights");
}

TEST_F(CudaOps, SwigluMatchesCpuIncludingClamps) {  // tol 1e-5
  std::mt19937 rng(5);
  const std::size_t T = 3, I = 2880;
  const auto h = randn(T * 2 * I, rng, 6.0f);  // many beyond the limit of 7
  std::vector<float> want(T * I);
  cpu::swiglu(h.data(), T, I, 1.702f, 7.0f, want.data());
  auto dh = to_device(h);
  cu::DeviceBuffer<float> dout(T * I);
  cu::swiglu(dh.get(), T, I, 1.702f, 7.0f, dout.get(), nullptr);
  expect_near(to_host(dout, T * I), want, 1e-5f, "swiglu");
}

TEST_F(CudaOps, ResidualAndMoeCombineMatchCpu) {  // residual exact, combine tol 1e-5
  std::mt19937 rng(6);
  const std::size_t T = 4, K = 4, H = 2880;
  auto x = randn(T * H, rng);
  const auto y = randn(T * H, rng);
  auto dx = to_device(x);
  auto dy = to_device(y);
  cpu::residual_add(x.data(), y.data(), T * H);
  cu::residual_add(dx.get(), dy.get(), T * H, nullptr);
  EXPECT_EQ(to_host(dx, T * H), x);

  // The CPU engine's MoE tail: per route, moe[t] += w * y_route; then x += moe.
  const auto routes = randn(T * K * H, rng);
  const auto w = randn(T * K, rng);
  std::vector<float> moe(T * H, 0.0f);
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t k = 0; k < K; ++k) cpu::axpy_f32(w[t * K + k], &routes[(t * K + k) * H], &moe[t * H], H);
  }
  cpu::residual_add(x.data(), moe.data(), T * H);
  auto droutes = to_device(routes);
  auto dw = to_device(w);
  cu::moe_combine(dx.get(), droutes.get(), dw.get(), T, K, H, nullptr);
  expect_near(to_host(dx, T * H), x, 1e-5f, "moe_combine");
}

TEST_F(CudaOps, MatmulBf16MatchesCpu) {  // tol 1e-4 (2880-term fp32 sums)
  std::mt19937 rng(7);
  const std::size_t K = 2880, N = 37, ldy = 40;
  const auto w = randn_bf16(N * K, rng, 0.05f);
  const auto bias = randn_bf16(N, rng);
  auto dw = to_device(w);
  auto db = to_device(bias);
  for (std::size_t T : {std::size_t{1}, std::size_t{6}}) {
    for (bool with_bias : {true, false}) {
      const auto x = randn(T * K, rng);
      std::vector<float> want(T * ldy, 0.0f);
      cpu::matmul_bf16(x.data(), T, K, w.data(), with_bias ? bias.data() : nullptr, want.data(), ldy, 0, N);
      auto dx = to_device(x);
      auto dy = to_device(std::vector<float>(T * ldy, 0.0f));
      cu::matmul_bf16(dx.get(), T, K, dw.get(), with_bias ? db.get() : nullptr, dy.get(), ldy, N, nullptr);
      expect_near(to_host(dy, T * ldy), want, 1e-4f, "matmul_bf16 T=" + std::to_string(T));
    }
  }
}

TEST_F(CudaOps, MatmulMxfp4OverRoutedRowsMatchesCpu) {  // tol 1e-4
  std::mt19937 rng(8);
  const std::size_t E = 4, N = 40, K = 2880, G = K / 32, T = 3, k_per = 2;
  std::vector<std::uint8_t> blocks(E * N * G * 16), scales(E * N * G);
  std::uniform_int_distribution<int> byte(0, 255), exponent(118, 128);
  for (auto& b : blocks) b = static_cast<std::uint8_t>(byte(rng));
  for (auto& s : scales) s = static_cast<std::uint8_t>(exponent(rng));
  const auto bias = randn_bf16(E * N, rng);
  const std::vector<std::int32_t> expert = {2, 0, 3, 2, 1, 1};  // T tokens x k_per routes
  const auto x = randn(T * K, rng);
  auto dblocks = to_device(blocks);
  auto dscales = to_device(scales);
  auto dbias = to_device(bias);
  auto dexpert = to_device(expert);
  auto dx = to_device(x);
  // First product: each route reads its token's row (x_div = routes per token).
  std::vector<float> want(T * k_per * N);
  for (std::size_t p = 0; p < T * k_per; ++p) {
    const std::size_t e = static_cast<std::size_t>(expert[p]);
    cpu::matmul_mxfp4(&x[(p / k_per) * K], 1, K, &blocks[e * N * G * 16], &scales[e * N * G], &bias[e * N],
                      &want[p * N], N, 0, N);
  }
  cu::DeviceBuffer<float> dy(T * k_per * N);
  cu::matmul_mxfp4(dx.get(), T * k_per, k_per, K, dblocks.get(), dscales.get(), dbias.get(), dexpert.get(), dy.get(),
                   N, nullptr);
  expect_near(to_host(dy, want.size()), want, 1e-4f, "routed, shared input rows");
  // Second product: one input row per route (x_div = 1), two of the token rows reused as input.
  std::vector<float> want2(2 * N);
  for (std::size_t p = 0; p < 2; ++p) {
    const std::size_t e = static_cast<std::size_t>(expert[p]);
    cpu::matmul_mxfp4(&x[p * K], 1, K, &blocks[e * N * G * 16], &scales[e * N * G], &bias[e * N], &want2[p * N], N,
                      0, N);
  }
  cu::matmul_mxfp4(dx.get(), 2, 1, K, dblocks.get(), dscales.get(), dbias.get(), dexpert.get(), dy.get(), N, nullptr);
  expect_near(to_host(dy, want2.size()), want2, 1e-4f, "routed, own input rows");
}

TEST_F(CudaOps, EmbeddingWidensTheTokensRows) {  // exact
  std::mt19937 rng(9);
  const std::size_t V = 50, H = 300;
  const auto table = randn_bf16(V * H, rng);
  const std::vector<std::int32_t> tokens = {7, 0, 49, 7};
  auto dt = to_device(table);
  auto dtok = to_device(tokens);
  cu::DeviceBuffer<float> dx(tokens.size() * H);
  cu::embedding(dt.get(), dtok.get(), tokens.size(), H, dx.get(), nullptr);
  const auto got = to_host(dx, tokens.size() * H);
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    for (std::size_t h = 0; h < H; ++h) {
      ASSERT_EQ(got[t * H + h], ossa::kernels::bf16_to_f32(table[static_cast<std::size_t>(tokens[t]) * H + h]));
    }
  }
}

TEST_F(CudaOps, ArgmaxPicksTheLowestIndexOfTheLargest) {  // exact
  std::mt19937 rng(10);
  const std::size_t rows = 3, V = 201088;
  auto logits = randn(rows * V, rng);
  logits[0 * V + 150000] = 9.0f;
  logits[0 * V + 70000] = 9.0f;  // tie: 70000 wins
  logits[1 * V + V - 1] = 9.0f;
  std::vector<std::int32_t> want(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < V; ++i) {
      if (logits[r * V + i] > logits[r * V + best]) best = i;
    }
    want[r] = static_cast<std::int32_t>(best);
  }
  auto dl = to_device(logits);
  cu::DeviceBuffer<std::int32_t> dout(rows);
  cu::argmax(dl.get(), rows, V, dout.get(), nullptr);
  EXPECT_EQ(to_host(dout, rows), want);
  EXPECT_EQ(want[0], 70000);
}

TEST_F(CudaOps, ScatterRowsWritesEachRowToItsSlot) {  // exact
  std::mt19937 rng(11);
  const std::size_t T = 5, row = 512;
  const auto src = randn(T * row, rng);
  cu::DeviceBuffer<float> pool(8 * row);
  const std::vector<std::size_t> slot = {6, 0, 3, 7, 1};
  std::vector<float*> dst(T);
  for (std::size_t t = 0; t < T; ++t) dst[t] = pool.get() + slot[t] * row;
  auto dsrc = to_device(src);
  auto ddst = to_device(dst);
  cu::scatter_rows(dsrc.get(), T, row, ddst.get(), nullptr);
  const auto got = to_host(pool, 8 * row);
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t i = 0; i < row; ++i) ASSERT_EQ(got[slot[t] * row + i], src[t * row + i]);
  }
}
