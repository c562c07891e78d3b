// Pair tests (llm.c's pattern): every op's SIMD versions against its scalar reference, on
// shapes with and without vector tails, for decode (one row) and prefill (several rows).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/residual.hpp"
#include "kernels/cpu/rmsnorm.hpp"
#include "kernels/cpu/rope.hpp"
#include "kernels/cpu/routing.hpp"
#include "kernels/cpu/swiglu.hpp"
#include "tests/kernels/random_data.hpp"

using namespace ossa::kernels;
using ossa::test::expect_near;
using ossa::test::randn;

namespace {
// The SIMD levels this CPU runs (probed), each with a name for messages.
std::vector<std::pair<const char*, Isa>> simd_levels() {
  std::vector<std::pair<const char*, Isa>> v;
  if (detected_isa() >= Isa::avx2) v.emplace_back("avx2", Isa::avx2);
  if (detected_isa() >= Isa::avx512) v.emplace_back("avx512", Isa::avx512);
  return v;
}

}  // namespace

TEST(KernelPairs, NoSimdLevelIsSkippedSilently) {
  // The tests below compare whatever this CPU has; say what that is.
  std::printf("SIMD levels compared with scalar: %zu (%s)\n", simd_levels().size(), isa_name(detected_isa()));
  SUCCEED();
}

TEST(KernelPairs, RmsNorm) {
  std::mt19937 rng(1);
  for (std::size_t H : {7u, 16u, 64u, 100u, 2880u}) {
    for (std::size_t T : {1u, 5u}) {
      auto x = randn(T * H, rng, 3.0f);
      std::vector<std::uint16_t> gain(H);
      for (auto& g : gain) g = f32_to_bf16(randn(1, rng)[0]);
      std::vector<float> want(T * H);
      scalar::rmsnorm(x.data(), T, H, gain.data(), 1e-5f, want.data());
      // The reference itself: unit RMS times the gain.
      double ss = 0;
      for (std::size_t h = 0; h < H; ++h) ss += double(x[h]) * x[h];
      EXPECT_NEAR(want[0], x[0] / std::sqrt(ss / H + 1e-5) * bf16_to_f32(gain[0]), 1e-5);
      auto fn = [&](Isa isa, std::vector<float>& y) {
        if (isa == Isa::avx2) avx2::rmsnorm(x.data(), T, H, gain.data(), 1e-5f, y.data());
        else avx512::rmsnorm(x.data(), T, H, gain.data(), 1e-5f, y.data());
      };
      for (auto [name, isa] : simd_levels()) {
        std::vector<float> got(T * H);
        fn(isa, got);
        expect_near(got, want, 2e-6f, name);
      }
    }
  }
}

TEST(KernelPairs, ResidualAdd) {
  std::mt19937 rng(2);
  for (std::size_t n : {1u, 15u, 33u, 2880u}) {
    auto x = randn(n, rng), y = randn(n, rng);
    auto want = x;
    scalar::residual_add(want.data(), y.data(), n);
    EXPECT_EQ(want[0], x[0] + y[0]);
    for (auto [name, isa] : simd_levels()) {
      auto got = x;
      if (isa == Isa::avx2) avx2::residual_add(got.data(), y.data(), n);
      else avx512::residual_add(got.data(), y.data(), n);
      expect_near(got, want, 0.0f, name);
    }
  }
}

TEST(KernelPairs, Rope) {
  std::mt19937 rng(3);
  for (std::size_t d : {16u, 64u, 40u}) {
    const std::size_t T = 3, heads = 4;
    std::vector<float> inv(d / 2);
    for (std::size_t i = 0; i < d / 2; ++i) inv[i] = std::pow(150000.0f, -2.0f * float(i) / float(d));
    std::vector<std::size_t> pos = {0, 17, 4095};
    auto x = randn(T * heads * d, rng);
    auto want = x;
    scalar::rope(want.data(), T, heads, d, pos.data(), inv.data(), 1.3f);
    // Position 0 only scales by the concentration.
    for (std::size_t i = 0; i < heads * d; ++i) EXPECT_NEAR(want[i], 1.3f * x[i], 1e-6f);
    for (auto [name, isa] : simd_levels()) {
      auto got = x;
      if (isa == Isa::avx2) avx2::rope(got.data(), T, heads, d, pos.data(), inv.data(), 1.3f);
      else avx512::rope(got.data(), T, heads, d, pos.data(), inv.data(), 1.3f);
      expect_near(got, want, 1e-6f, name);
    }
  }
}

TEST(KernelPairs, AttentionDecodeAndPrefillOverPagedBlocks) {
  std::mt19937 rng(4);
  // Head sizes of 1, 2, 4 and 8 vector registers and ones that are no such multiple, so every
  // register count of the SIMD versions runs (gpt-oss has 64).
  // 1,100 positions span three of the SIMD versions' key chunks.
  for (std::size_t len : {75u, 1100u}) {
  for (std::size_t d : {16u, 32u, 40u, 64u, 128u}) {
  const std::size_t heads = 8, kv_heads = 2, row = kv_heads * d, B = 16;
  const std::size_t nblocks = (len + B - 1) / B;
  std::vector<std::vector<float>> storage(nblocks);
  std::vector<const float*> blocks(nblocks);
  for (std::size_t b = 0; b < nblocks; ++b) {
    storage[b] = randn(2 * B * row, rng);
    blocks[b] = storage[b].data();
  }
  auto sinks = randn(heads, rng);
  for (std::size_t window : {0u, 8u, 20u}) {
    // Prefill: rows at the last positions; decode: one row at the end.
    for (std::size_t rows : {1u, 6u}) {
      std::vector<std::size_t> pos(rows);
      for (std::size_t r = 0; r < rows; ++r) pos[r] = len - rows + r;
      auto q = randn(rows * heads * d, rng);
      KvView kv{blocks.data(), B, row};
      AttentionShape s{heads, kv_heads, d, window, 0.125f, sinks.data()};
      std::vector<float> want(rows * heads * d);
      scalar::attention(q.data(), pos.data(), rows, kv, s, want.data(), 0, rows * heads);
      // The reference by hand for the last row's head 3: explicit softmax with the sink.
      {
        const std::size_t r = rows - 1, h = 3, p = pos[r], lo = window && p + 1 > window ? p + 1 - window : 0;
        std::vector<double> a;
        double mx = sinks[h];
        for (std::size_t j = lo; j <= p; ++j) {
          double dot = 0;
          for (std::size_t i = 0; i < d; ++i) {
            dot += double(q[(r * heads + h) * d + i]) * blocks[j / B][(j % B) * row + (h / 4) * d + i];
          }
          a.push_back(dot * 0.125);
          mx = std::max(mx, a.back());
        }
        double den = std::exp(sinks[h] - mx);
        for (double v : a) den += std::exp(v - mx);
        double o0 = 0;
        for (std::size_t j = lo; j <= p; ++j) o0 += std::exp(a[j - lo] - mx) / den * blocks[j / B][(B + j % B) * row + (h / 4) * d];
        EXPECT_NEAR(want[(r * heads + h) * d], o0, 1e-5);
      }
      for (auto [name, isa] : simd_levels()) {
        std::vector<float> got(rows * heads * d, 99.0f);
        // Two item ranges, as the thread pool splits them.
        const std::size_t mid = rows * heads / 2 + 1;
        if (isa == Isa::avx2) {
          avx2::attention(q.data(), pos.data(), rows, kv, s, got.data(), 0, mid);
          avx2::attention(q.data(), pos.data(), rows, kv, s, got.data(), mid, rows * heads);
        } else {
          avx512::attention(q.data(), pos.data(), rows, kv, s, got.data(), 0, mid);
          avx512::attention(q.data(), pos.data(), rows, kv, s, got.data(), mid, rows * heads);
        }
        const std::string what = std::string(name) + " len " + std::to_string(len) + " d " + std::to_string(d) +
                                 " window " + std::to_string(window);
        expect_near(got, want, 2e-5f, what);
        // One item at a time (no head shares the keys with another): the same floats exactly,
        // so a head's result does not depend on how the pool split the items.
        std::vector<float> single(rows * heads * d);
        for (std::size_t i = 0; i < rows * heads; ++i) {
          if (isa == Isa::avx2) avx2::attention(q.data(), pos.data(), rows, kv, s, single.data(), i, i + 1);
          else avx512::attention(q.data(), pos.data(), rows, kv, s, single.data(), i, i + 1);
        }
        EXPECT_EQ(got, single) << what;
      }
    }
  }
  }
  }
}

TEST(KernelPairs, AttentionNeverReadsReleasedBlocksOfTheWindow) {
  // Sliding layers free blocks wholly before the window: those entries are null here, and
  // any read would crash.
  std::mt19937 rng(5);
  const std::size_t heads = 2, kv_heads = 1, d = 16, B = 4, len = 30, window = 8;
  std::vector<std::vector<float>> storage(8);
  std::vector<const float*> blocks(8, nullptr);
  for (std::size_t b = (len - window) / B; b < 8; ++b) {
    storage[b] = randn(2 * B * d, rng);
    blocks[b] = storage[b].data();
  }
  auto sinks = randn(heads, rng);
  auto q = randn(heads * d, rng);
  std::size_t pos = len - 1;
  KvView kv{blocks.data(), B, kv_heads * d};
  AttentionShape s{heads, kv_heads, d, window, 0.25f, sinks.data()};
  std::vector<float> out(heads * d);
  attention(q.data(), &pos, 1, kv, s, out.data(), 0, heads);
  for (float v : out) EXPECT_TRUE(std::isfinite(v));
}

TEST(KernelPairs, TopKSoftmax) {
  std::mt19937 rng(6);
  for (std::size_t E : {8u, 32u, 37u, 128u}) {
    const std::size_t T = 7, K = 4;
    auto g = randn(T * E, rng);
    g[E - 1] = g[5] = 10.0f;  // a tie: the lower index first
    std::vector<std::int32_t> want_i(T * K), got_i(T * K);
    std::vector<float> want_w(T * K), got_w(T * K);
    scalar::topk_softmax(g.data(), T, E, K, want_i.data(), want_w.data());
    EXPECT_EQ(want_i[0], 5);
    EXPECT_EQ(want_i[1], static_cast<std::int32_t>(E - 1));
    float sum = 0;
    for (std::size_t j = 0; j < K; ++j) sum += want_w[j];
    EXPECT_NEAR(sum, 1.0f, 1e-6f);
    for (auto [name, isa] : simd_levels()) {
      if (isa == Isa::avx2) avx2::topk_softmax(g.data(), T, E, K, got_i.data(), got_w.data());
      else avx512::topk_softmax(g.data(), T, E, K, got_i.data(), got_w.data());
      EXPECT_EQ(got_i, want_i) << name;
      expect_near(got_w, want_w, 1e-6f, name);
    }
  }
}

TEST(KernelPairs, ClampedSwiglu) {
  std::mt19937 rng(7);
  for (std::size_t I : {1u, 8u, 13u, 64u, 2880u}) {
    const std::size_t T = 3;
    auto h = randn(T * 2 * I, rng, 6.0f);  // beyond the limit on both sides
    std::vector<float> want(T * I);
    scalar::swiglu(h.data(), T, I, 1.702f, 7.0f, want.data());
    {
      const float g = std::min(h[0], 7.0f), l = std::clamp(h[1], -7.0f, 7.0f);
      EXPECT_NEAR(want[0], g / (1 + std::exp(-1.702f * g)) * (l + 1), 1e-5f);
    }
    for (auto [name, isa] : simd_levels()) {
      std::vector<float> got(T * I);
      if (isa == Isa::avx2) avx2::swiglu(h.data(), T, I, 1.702f, 7.0f, got.data());
      else avx512::swiglu(h.data(), T, I, 1.702f, 7.0f, got.data());
      expect_near(got, want, 2e-6f, name);
    }
  }
}
