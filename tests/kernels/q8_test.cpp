// The Q8 kernels: quantize / dequantize bit-exact between the scalar reference and each SIMD
// version; the integer product of each SIMD path (AVX2, also on AVX-512 machines; AVX-512BW;
// AVX-512 VNNI where the CPU has it) against the scalar reference, with tails and row ranges;
// and the format's own error bound.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/matmul_q8.hpp"
#include "kernels/cpu/matmul_variants.hpp"
#include "kernels/cpu/q8.hpp"

using namespace ossa::kernels;

namespace {
using Matmul = decltype(&scalar::matmul_q8_int8);

struct Q8Variant {
  const char* name;
  decltype(&scalar::quantize_bf16_q8) qbf16;
  decltype(&scalar::quantize_f32_q8) qf32;
  decltype(&scalar::dequantize_q8) deq;
  Matmul matmul;
};

std::vector<Q8Variant> q8_variants() {
  std::vector<Q8Variant> v;
  if (detected_isa() >= Isa::avx2) {
    v.push_back({"avx2", &avx2::quantize_bf16_q8, &avx2::quantize_f32_q8, &avx2::dequantize_q8, &avx2::matmul_q8_int8});
  }
  if (detected_isa() >= Isa::avx512) {
    v.push_back({"avx512bw", &avx512::quantize_bf16_q8, &avx512::quantize_f32_q8, &avx512::dequantize_q8,
                 &avx512::matmul_q8_int8_bw});
    if (has_avx512_vnni()) {
      v.push_back({"avx512vnni", &avx512::quantize_bf16_q8, &avx512::quantize_f32_q8, &avx512::dequantize_q8,
                   &avx512::matmul_q8_int8_vnni});
    }
  }
  return v;
}

std::vector<float> random_floats(std::size_t n, std::mt19937& rng, float scale) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<std::uint16_t> to_bf16(const std::vector<float>& v) {
  std::vector<std::uint16_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = f32_to_bf16(v[i]);
  return out;
}

// Blocks that stress rounding and the edges: zeros, a lone extreme, ties at .5 steps, +-max.
std::vector<float> edge_values(std::mt19937& rng) {
  std::vector<float> v = random_floats(32 * 8, rng, 1.0f);
  for (std::size_t i = 0; i < 32; ++i) v[i] = 0.0f;                   // all-zero block
  for (std::size_t i = 32; i < 64; ++i) v[i] = i == 40 ? -3.0f : 0.0f;  // one value, negative max
  for (std::size_t i = 64; i < 96; ++i) v[i] = (static_cast<float>(i) - 80.0f) * 0.5f * 127.0f / 15.0f;
  for (std::size_t i = 96; i < 128; ++i) v[i] = i % 2 ? 1e-30f : -1e-30f;
  for (std::size_t i = 128; i < 160; ++i) v[i] = static_cast<float>(static_cast<int>(i) - 144) + 0.5f;
  return v;
}
}  // namespace

TEST(KernelsQ8, QuantizeIsBitExactAcrossIsas) {
  std::mt19937 rng(11);
  auto f = edge_values(rng);
  auto more = random_floats(2880, rng, 0.02f);
  f.insert(f.end(), more.begin(), more.end());
  const auto h = to_bf16(f);
  const std::size_t n = f.size();
  std::vector<std::int8_t> q0(n), q1(n), hq0(n), hq1(n);
  std::vector<float> d0(n / 32), d1(n / 32), hd0(n / 32), hd1(n / 32), y0(n), y1(n);
  scalar::quantize_f32_q8(f.data(), n, q0.data(), d0.data());
  scalar::quantize_bf16_q8(h.data(), n, hq0.data(), hd0.data());
  scalar::dequantize_q8(q0.data(), d0.data(), n, y0.data());
  for (const auto& v : q8_variants()) {
    v.qf32(f.data(), n, q1.data(), d1.data());
    v.qbf16(h.data(), n, hq1.data(), hd1.data());
    v.deq(q0.data(), d0.data(), n, y1.data());
    EXPECT_EQ(q0, q1) << v.name;
    EXPECT_EQ(d0, d1) << v.name;
    EXPECT_EQ(hq0, hq1) << v.name;
    EXPECT_EQ(hd0, hd1) << v.name;
    EXPECT_EQ(y0, y1) << v.name;
  }
}

TEST(KernelsQ8, ReferenceKeepsEachValueWithinHalfAStep) {
  std::mt19937 rng(12);
  auto f = edge_values(rng);
  const std::size_t n = f.size();
  std::vector<std::int8_t> q(n);
  std::vector<float> d(n / 32), y(n);
  scalar::quantize_f32_q8(f.data(), n, q.data(), d.data());
  scalar::dequantize_q8(q.data(), d.data(), n, y.data());
  EXPECT_EQ(d[0], 0.0f);
  for (std::size_t i = 0; i < 32; ++i) EXPECT_EQ(q[i], 0);
  EXPECT_EQ(q[40], -127);  // the block's extreme maps to the end of the range
  EXPECT_FLOAT_EQ(d[1], 3.0f / 127.0f);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_GE(q[i], -127);
    EXPECT_LE(q[i], 127);
    EXPECT_LE(std::fabs(y[i] - f[i]), d[i / 32] * 0.5001f) << i;
  }
}

TEST(KernelsQ8, MatmulSimdMatchesScalar) {
  std::mt19937 rng(13);
  const auto variants = q8_variants();
  if (variants.empty()) GTEST_SKIP() << "no SIMD level on this CPU";
  // 32, 96: one / odd block counts (the AVX-512 tail); 2880: gpt-oss-20b's hidden size.
  for (std::size_t K : {32u, 64u, 96u, 160u, 2880u}) {
    for (std::size_t T : {1u, 3u, 4u, 5u, 8u, 9u, 17u}) {
      const std::size_t N = 37, B = K / 32;
      auto x = random_floats(T * K, rng, 1.0f);
      auto w = random_floats(N * K, rng, 0.05f);
      const auto wb = to_bf16(w);
      const auto bias = to_bf16(random_floats(N, rng, 0.5f));
      std::vector<std::int8_t> xq(T * K), wq(N * K);
      std::vector<float> xd(T * B), wd(N * B);
      for (std::size_t t = 0; t < T; ++t) scalar::quantize_f32_q8(&x[t * K], K, &xq[t * K], &xd[t * B]);
      scalar::quantize_bf16_q8(wb.data(), N * K, wq.data(), wd.data());
      // The scalar reference over a row range [5, 30) and ldy > N: untouched columns stay.
      const std::size_t ldy = N + 3;
      std::vector<float> want(T * ldy, -7.0f);
      scalar::matmul_q8_int8(xq.data(), xd.data(), T, K, wq.data(), wd.data(), bias.data(), want.data(), ldy, 5, 30);
      float mag = 0.0f;  // sum of |x w| terms bounds the fp32 reordering error
      for (std::size_t k = 0; k < K; ++k) mag += std::fabs(x[k] * w[k]);
      for (const auto& v : variants) {
        std::vector<float> got(T * ldy, -7.0f);
        v.matmul(xq.data(), xd.data(), T, K, wq.data(), wd.data(), bias.data(), got.data(), ldy, 5, 30);
        for (std::size_t t = 0; t < T; ++t) {
          for (std::size_t n = 0; n < N; ++n) {
            const float a = got[t * ldy + n], b = want[t * ldy + n];
            if (n < 5 || n >= 30) {
              ASSERT_EQ(a, -7.0f) << v.name << " wrote outside [n0, n1) at t=" << t << " n=" << n;
            } else {
              ASSERT_NEAR(a, b, 2e-5f * (mag + 1.0f)) << v.name << " K=" << K << " T=" << T << " n=" << n;
            }
          }
        }
        // Without bias too.
        std::vector<float> g2(T * N), w2(T * N);
        scalar::matmul_q8_int8(xq.data(), xd.data(), T, K, wq.data(), wd.data(), nullptr, w2.data(), N, 0, N);
        v.matmul(xq.data(), xd.data(), T, K, wq.data(), wd.data(), nullptr, g2.data(), N, 0, N);
        for (std::size_t i = 0; i < T * N; ++i) ASSERT_NEAR(g2[i], w2[i], 2e-5f * (mag + 1.0f)) << v.name;
      }
    }
  }
}

// The dispatching matmul_q8 at every forced level (the AVX2 path on an AVX-512 machine
// included) against the exact fp32 product of the bf16 weights: the error is the format's.
TEST(KernelsQ8, DispatchedProductIsCloseToBf16AtEveryLevel) {
  std::mt19937 rng(14);
  const std::size_t T = 3, K = 2880, N = 64, B = K / 32;
  auto x = random_floats(T * K, rng, 1.0f);
  const auto wb = to_bf16(random_floats(N * K, rng, 0.02f));
  std::vector<std::int8_t> wq(N * K);
  std::vector<float> wd(N * B), exact(T * N), got(T * N);
  quantize_bf16_q8(wb.data(), N * K, wq.data(), wd.data());
  scalar::matmul_bf16(x.data(), T, K, wb.data(), nullptr, exact.data(), N, 0, N);
  float scale = 0.0f;
  for (float v : exact) scale = std::fmax(scale, std::fabs(v));
  for (int level = 0; level <= static_cast<int>(detected_isa()); ++level) {
    set_isa(static_cast<Isa>(level));
    matmul_q8(x.data(), T, K, wq.data(), wd.data(), nullptr, got.data(), N, 0, N);
    float worst = 0.0f;
    for (std::size_t i = 0; i < T * N; ++i) worst = std::fmax(worst, std::fabs(got[i] - exact[i]));
    std::printf("%s (%s): max |q8 - bf16| = %.3g of max |y| %.3g\n", isa_name(active_isa()), q8_path_name(),
                static_cast<double>(worst), static_cast<double>(scale));
    EXPECT_LT(worst, 0.02f * scale) << isa_name(active_isa());
    EXPECT_GT(worst, 0.0f) << "8-bit weights cannot be exact on random data";
  }
  set_isa(detected_isa());
}
