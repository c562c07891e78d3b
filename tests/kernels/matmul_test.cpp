// Each SIMD kernel against the scalar reference, on shapes with and without tails, for the
// token counts the engine uses (1 = decode, several = batched prefill), and with row ranges.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/matmul_variants.hpp"
#include "kernels/cpu/mxfp4.hpp"

using namespace ossa::kernels;

namespace {
struct Variant {
  const char* name;
  Isa isa;
  decltype(&scalar::matmul_bf16) bf16;
  decltype(&scalar::matmul_mxfp4) mxfp4;
  decltype(&scalar::dot_f32) dot;
  decltype(&scalar::axpy_f32) axpy;
};

std::vector<Variant> simd_variants() {
  std::vector<Variant> v;
  if (detected_isa() >= Isa::avx2) {
    v.push_back({"avx2", Isa::avx2, &avx2::matmul_bf16, &avx2::matmul_mxfp4, &avx2::dot_f32, &avx2::axpy_f32});
  }
  if (detected_isa() >= Isa::avx512) {
    v.push_back({"avx512", Isa::avx512, &avx512::matmul_bf16, &avx512::matmul_mxfp4, &avx512::dot_f32,
                 &avx512::axpy_f32});
  }
  return v;
}

std::vector<float> random_floats(std::size_t n, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<uint16_t> random_bf16(std::size_t n, std::mt19937& rng, float scale) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<uint16_t> v(n);
  for (auto& x : v) x = f32_to_bf16(d(rng));
  return v;
}

// |a - b| within a tolerance relative to the sum of |x*w| terms (fp32 reordering error).
void expect_close(const std::vector<float>& got, const std::vector<float>& want, float mag, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-5f * mag + 1e-6f) << what << " at " << i;
  }
}
}  // namespace

TEST(Kernels, DetectionIsConsistent) {
  EXPECT_LE(active_isa(), detected_isa());
  set_isa(Isa::scalar);
  EXPECT_EQ(active_isa(), Isa::scalar);
  set_isa(Isa::avx512);
  EXPECT_EQ(active_isa(), detected_isa());
  std::printf("detected ISA: %s\n", isa_name(detected_isa()));
}

TEST(Kernels, Bf16SimdMatchesScalar) {
  std::mt19937 rng(1);
  for (std::size_t K : {16u, 40u, 64u, 96u, 2880u}) {
    for (std::size_t T : {1u, 3u, 4u, 5u, 8u, 9u}) {
      const std::size_t N = 37;
      auto x = random_floats(T * K, rng);
      auto w = random_bf16(N * K, rng, 0.1f);
      auto b = random_bf16(N, rng, 0.5f);
      std::vector<float> want(T * N, -7.0f);
      scalar::matmul_bf16(x.data(), T, K, w.data(), b.data(), want.data(), N, 0, N);
      for (const auto& v : simd_variants()) {
        std::vector<float> got(T * N, -7.0f);
        // Two row ranges, as the thread pool splits them.
        v.bf16(x.data(), T, K, w.data(), b.data(), got.data(), N, 0, 16);
        v.bf16(x.data(), T, K, w.data(), b.data(), got.data(), N, 16, N);
        expect_close(got, want, 0.1f * std::sqrt(static_cast<float>(K)) * 4, v.name);
      }
    }
  }
}

TEST(Kernels, Bf16ManyTokensGoRowBlockByRowBlockWithEachTokensSoloResult) {
  // Past one block of tokens the rows go 64 at a time, every token block over each: 150 rows
  // in two thread ranges (cut off a block boundary) against 19 tokens. Each token's row must
  // be what it gets alone, bit for bit (a sequence's logits do not depend on its batch), and
  // close to the reference.
  std::mt19937 rng(3);
  // 2-5 tokens too: four take their own tile shape (a four-sequence decode step).
  for (const std::size_t T : {19u, 2u, 3u, 4u, 5u}) {
    SCOPED_TRACE("T=" + std::to_string(T));
    const std::size_t K = 96, N = 150;
    auto x = random_floats(T * K, rng);
    auto w = random_bf16(N * K, rng, 0.1f);
    auto b = random_bf16(N, rng, 0.5f);
    std::vector<float> want(T * N);
    scalar::matmul_bf16(x.data(), T, K, w.data(), b.data(), want.data(), N, 0, N);
    for (const auto& v : simd_variants()) {
      std::vector<float> got(T * N, -7.0f);
      v.bf16(x.data(), T, K, w.data(), b.data(), got.data(), N, 0, 77);
      v.bf16(x.data(), T, K, w.data(), b.data(), got.data(), N, 77, N);
      expect_close(got, want, 0.1f * std::sqrt(static_cast<float>(K)) * 4, v.name);
      for (std::size_t t = 0; t < T; ++t) {
        std::vector<float> solo(N);
        v.bf16(&x[t * K], 1, K, w.data(), b.data(), solo.data(), N, 0, N);
        for (std::size_t n = 0; n < N; ++n)
          ASSERT_EQ(solo[n], got[t * N + n]) << v.name << " t=" << t << " n=" << n;
      }
    }
  }
}

TEST(Kernels, Mxfp4SimdMatchesScalar) {
  std::mt19937 rng(2);
  for (std::size_t K : {32u, 64u, 96u, 2880u}) {
    for (std::size_t T : {1u, 2u, 4u, 7u, 8u, 9u, 17u}) {
      const std::size_t N = 29, G = K / 32;
      auto x = random_floats(T * K, rng);
      std::vector<uint8_t> blocks(N * G * 16), scales(N * G);
      for (auto& v : blocks) v = static_cast<uint8_t>(rng());
      for (auto& v : scales) v = static_cast<uint8_t>(118 + rng() % 12);  // includes 2^0 .. 2^2
      auto b = random_bf16(N, rng, 0.5f);
      std::vector<float> want(T * N);
      scalar::matmul_mxfp4(x.data(), T, K, blocks.data(), scales.data(), b.data(), want.data(), N, 0, N);
      // The reference itself against an explicit decode.
      std::vector<float> row(K);
      mxfp4_decode_row(blocks.data() + 3 * G * 16, scales.data() + 3 * G, K, row.data());
      double acc = 0;
      for (std::size_t k = 0; k < K; ++k) acc += static_cast<double>(x[k]) * row[k];
      EXPECT_NEAR(want[3], acc + bf16_to_f32(b[3]), 1e-3);
      for (const auto& v : simd_variants()) {
        std::vector<float> got(T * N);
        v.mxfp4(x.data(), T, K, blocks.data(), scales.data(), b.data(), got.data(), N, 0, 10);
        v.mxfp4(x.data(), T, K, blocks.data(), scales.data(), b.data(), got.data(), N, 10, N);
        expect_close(got, want, 24.0f * std::sqrt(static_cast<float>(K)) * 4, v.name);
      }
    }
  }
}

TEST(Kernels, Mxfp4DecodeCoversEveryCode) {
  // Byte j holds element 2j (low nibble) and 2j+1 (high nibble); code 8 is -0, 15 is -6.
  uint8_t blocks[16];
  for (int j = 0; j < 16; ++j) blocks[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  uint8_t scale = 128;  // 2^1
  float out[32];
  mxfp4_decode_row(blocks, &scale, 32, out);
  const float mag[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
  for (int j = 0; j < 16; ++j) {
    float lo = (j & 8 ? -1.0f : 1.0f) * mag[j & 7] * 2, hi = ((15 - j) & 8 ? -1.0f : 1.0f) * mag[(15 - j) & 7] * 2;
    EXPECT_EQ(out[2 * j], lo);
    EXPECT_EQ(out[2 * j + 1], hi);
  }
  EXPECT_TRUE(std::signbit(out[2 * 8]));  // -0
}

TEST(Kernels, DotAndAxpySimdMatchScalar) {
  std::mt19937 rng(3);
  for (std::size_t n : {1u, 7u, 16u, 64u, 100u}) {
    auto a = random_floats(n, rng), b = random_floats(n, rng);
    float want = scalar::dot_f32(a.data(), b.data(), n);
    std::vector<float> ywant = b;
    scalar::axpy_f32(0.37f, a.data(), ywant.data(), n);
    for (const auto& v : simd_variants()) {
      EXPECT_NEAR(v.dot(a.data(), b.data(), n), want, 1e-5f * static_cast<float>(n)) << v.name;
      std::vector<float> y = b;
      v.axpy(0.37f, a.data(), y.data(), n);
      for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], ywant[i], 1e-6f * (1 + std::fabs(ywant[i]))) << v.name;  // FMA rounds once
    }
  }
}

TEST(Kernels, DispatchFollowsSetIsa) {
  std::mt19937 rng(4);
  const std::size_t K = 64, N = 8;
  auto x = random_floats(K, rng);
  auto w = random_bf16(N * K, rng, 0.1f);
  std::vector<float> ref(N), got(N);
  scalar::matmul_bf16(x.data(), 1, K, w.data(), nullptr, ref.data(), N, 0, N);
  set_isa(Isa::scalar);
  matmul_bf16(x.data(), 1, K, w.data(), nullptr, got.data(), N, 0, N);
  EXPECT_EQ(got, ref);  // the scalar path is the reference, bit for bit
  set_isa(detected_isa());
}
