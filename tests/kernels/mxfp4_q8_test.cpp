// The MXFP4 x Q8 product: its scalar reference against the fp32 MXFP4 product of the
// dequantized activations (the same sum, so only rounding apart), and each SIMD path (AVX2,
// also on AVX-512 machines; AVX-512BW; AVX-512 VNNI where the CPU has it) against the scalar
// reference, with K not a multiple of 128 (a partial last quad), row ranges split as the thread
// pool splits them, every token count of a tile, and every code and scale edge; and each SIMD
// version of the activation panel against the scalar one, byte for byte.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/matmul_mxfp4_q8.hpp"
#include "kernels/cpu/matmul_q8.hpp"
#include "kernels/cpu/matmul_variants.hpp"
#include "kernels/cpu/mxfp4.hpp"
#include "kernels/cpu/q8.hpp"

using namespace ossa::kernels;

namespace {
using Product = decltype(&scalar::matmul_mxfp4_q8);

struct Mxfp4Q8Variant {
  const char* name;
  Product fn;
};

std::vector<Mxfp4Q8Variant> mxfp4_q8_variants() {
  std::vector<Mxfp4Q8Variant> v;
  if (detected_isa() >= Isa::avx2) v.push_back({"avx2", &avx2::matmul_mxfp4_q8});
  if (detected_isa() >= Isa::avx512) {
    v.push_back({"avx512bw", &avx512::matmul_mxfp4_q8_bw});
    if (has_avx512_vnni()) v.push_back({"avx512vnni", &avx512::matmul_mxfp4_q8_vnni});
  }
  return v;
}

struct Case {
  std::size_t T, K, N;
  std::vector<float> x;
  std::vector<std::uint8_t> blocks, scales;
  std::vector<std::uint16_t> bias;
  Mxfp4Q8Panel panel;
};

Case make_case(std::size_t T, std::size_t K, std::size_t N, std::mt19937& rng, std::size_t levels = 1) {
  Case c{T, K, N, {}, {}, {}, {}, {}};
  std::normal_distribution<float> d(0.0f, 1.0f);
  c.x.resize(T * K);
  for (auto& v : c.x) v = d(rng);
  c.blocks.resize(N * K / 2);
  c.scales.resize(N * K / 32);
  for (auto& b : c.blocks) b = static_cast<std::uint8_t>(rng());
  for (auto& s : c.scales) s = static_cast<std::uint8_t>(118 + rng() % 12);
  c.bias.resize(N);
  for (auto& b : c.bias) b = f32_to_bf16(d(rng));
  prepare_mxfp4_q8(c.x.data(), T, K, levels, c.panel);
  return c;
}

float scale_of(const std::vector<float>& v) {
  float m = 1.0f;
  for (float x : v) m = std::fmax(m, std::fabs(x));
  return m;
}

TEST(Mxfp4Q8, ReferenceIsTheMxfp4ProductOfTheDequantizedActivations) {
  std::mt19937 rng(11);
  for (std::size_t K : {32u, 96u, 160u, 2880u}) {
    Case c = make_case(3, K, 13, rng);
    std::vector<float> xdq(c.T * K);
    std::vector<std::int8_t> q(K);
    std::vector<float> d(K / 32);
    for (std::size_t t = 0; t < c.T; ++t) {
      scalar::quantize_f32_q8(&c.x[t * K], K, q.data(), d.data());
      scalar::dequantize_q8(q.data(), d.data(), K, &xdq[t * K]);
    }
    std::vector<float> want(c.T * c.N), got(c.T * c.N);
    scalar::matmul_mxfp4(xdq.data(), c.T, K, c.blocks.data(), c.scales.data(), c.bias.data(), want.data(), c.N, 0,
                         c.N);
    scalar::matmul_mxfp4_q8(c.panel, c.blocks.data(), c.scales.data(), c.bias.data(), got.data(), c.N, 0, c.N);
    const float tol = 1e-5f * scale_of(want) * std::sqrt(static_cast<float>(K));
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << "K=" << K << " i=" << i;
  }
}

TEST(Mxfp4Q8, RoundingTheActivationsStaysWithinTheirQuantizationError) {
  // Against the exact fp32 product, the only error is the activations' rounding: per group at
  // most d/2 per value, so |err| <= sum_g (max_g / 254) * sum_k |w|.
  std::mt19937 rng(13);
  Case c = make_case(2, 2880, 17, rng);
  std::vector<float> want(c.T * c.N), got(c.T * c.N), wrow(c.K);
  scalar::matmul_mxfp4(c.x.data(), c.T, c.K, c.blocks.data(), c.scales.data(), c.bias.data(), want.data(), c.N, 0,
                       c.N);
  scalar::matmul_mxfp4_q8(c.panel, c.blocks.data(), c.scales.data(), c.bias.data(), got.data(), c.N, 0, c.N);
  for (std::size_t n = 0; n < c.N; ++n) {
    mxfp4_decode_row(&c.blocks[n * c.K / 2], &c.scales[n * c.K / 32], c.K, wrow.data());
    for (std::size_t t = 0; t < c.T; ++t) {
      double bound = 0;
      for (std::size_t g = 0; g < c.K / 32; ++g) {
        float mx = 0, wsum = 0;
        for (std::size_t k = g * 32; k < g * 32 + 32; ++k) {
          mx = std::fmax(mx, std::fabs(c.x[t * c.K + k]));
          wsum += std::fabs(wrow[k]);
        }
        bound += mx / 254.0 * wsum;
      }
      EXPECT_LE(std::fabs(got[t * c.N + n] - want[t * c.N + n]), bound * 1.001 + 1e-4) << n << " " << t;
    }
  }
}

TEST(Mxfp4Q8, ThreeLevelsGiveTheFp32ProductToAboutFp32Precision) {
  // What three levels leave of an activation is at most (block max / 127) / 2^15 per value;
  // the rest is fp32 rounding (the reference's own, bounded by 2^-20 of sum |w x|).
  std::mt19937 rng(15);
  for (std::size_t K : {32u, 160u, 2880u}) {
    Case c = make_case(3, K, 17, rng, 3);
    std::vector<float> want(c.T * c.N), got(c.T * c.N), wrow(K);
    scalar::matmul_mxfp4(c.x.data(), c.T, K, c.blocks.data(), c.scales.data(), c.bias.data(), want.data(), c.N, 0,
                         c.N);
    scalar::matmul_mxfp4_q8(c.panel, c.blocks.data(), c.scales.data(), c.bias.data(), got.data(), c.N, 0, c.N);
    double worst = 0;
    for (std::size_t n = 0; n < c.N; ++n) {
      mxfp4_decode_row(&c.blocks[n * K / 2], &c.scales[n * K / 32], K, wrow.data());
      for (std::size_t t = 0; t < c.T; ++t) {
        double bound = 0, mag = 0;
        for (std::size_t g = 0; g < K / 32; ++g) {
          double mx = 0, wsum = 0;
          for (std::size_t k = g * 32; k < g * 32 + 32; ++k) {
            mx = std::fmax(mx, std::fabs(c.x[t * K + k]));
            wsum += std::fabs(wrow[k]);
            mag += std::fabs(static_cast<double>(wrow[k]) * c.x[t * K + k]);
          }
          bound += mx / 127.0 / 32768.0 * wsum;
        }
        const double err = std::fabs(got[t * c.N + n] - want[t * c.N + n]);
        worst = std::fmax(worst, err / (mag + 1e-30));
        EXPECT_LE(err, bound + mag * 0x1p-20) << "K=" << K << " n=" << n << " t=" << t;
      }
    }
    std::printf("K=%zu: worst |error| / sum |w x| = %.2e\n", K, worst);
  }
}

TEST(Mxfp4Q8, SimdMatchesScalar) {
  std::mt19937 rng(12);
  for (std::size_t levels : {1u, 3u})
  for (std::size_t K : {32u, 64u, 96u, 128u, 160u, 544u, 2880u}) {
    for (std::size_t T : {1u, 2u, 3u, 4u, 5u, 9u}) {
      Case c = make_case(T, K, 29, rng, levels);
      std::vector<float> want(T * c.N);
      scalar::matmul_mxfp4_q8(c.panel, c.blocks.data(), c.scales.data(), c.bias.data(), want.data(), c.N, 0, c.N);
      const float tol = 1e-5f * scale_of(want) * std::sqrt(static_cast<float>(K));
      for (const auto& v : mxfp4_q8_variants()) {
        std::vector<float> got(T * c.N, -7.0f);
        v.fn(c.panel, c.blocks.data(), c.scales.data(), c.bias.data(), got.data(), c.N, 0, 11);
        v.fn(c.panel, c.blocks.data(), c.scales.data(), c.bias.data(), got.data(), c.N, 11, c.N);
        for (std::size_t i = 0; i < want.size(); ++i)
          ASSERT_NEAR(got[i], want[i], tol) << v.name << " levels=" << levels << " K=" << K << " T=" << T << " i=" << i;
      }
    }
  }
}

TEST(Mxfp4Q8, EveryPanelVersionWritesTheScalarReferencesBytes) {
  using Prepare = decltype(&scalar::prepare_mxfp4_q8);
  std::vector<std::pair<const char*, Prepare>> versions;
  if (detected_isa() >= Isa::avx2) versions.push_back({"avx2", &avx2::prepare_mxfp4_q8});
  if (detected_isa() >= Isa::avx512) versions.push_back({"avx512", &avx512::prepare_mxfp4_q8});
  if (versions.empty()) GTEST_SKIP() << "no SIMD level on this CPU";
  std::mt19937 rng(16);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (std::size_t levels : {1u, 3u})
  for (std::size_t K : {32u, 64u, 96u, 128u, 160u, 544u, 2880u}) {
    for (std::size_t T : {1u, 3u}) {
      std::vector<float> x(T * K);
      for (auto& v : x) v = nd(rng) * std::ldexp(1.0f, static_cast<int>(rng() % 21) - 10);
      // Edge blocks: all zero, below the 2^-100 floor, exact halves of the step (rounding ties),
      // and one value far above the rest.
      if (K >= 128) {
        for (std::size_t k = 0; k < 32; ++k) x[k] = 0.0f;
        for (std::size_t k = 32; k < 64; ++k) x[k] = 1e-33f * static_cast<float>(k);
        for (std::size_t k = 64; k < 96; ++k) x[k] = (static_cast<float>(k % 7) - 3.0f) * 0.5f + (k == 64 ? 127.0f : 0.0f);
        x[100] = 3e4f;
      }
      Mxfp4Q8Panel want;
      scalar::prepare_mxfp4_q8(x.data(), T, K, levels, want);
      const std::size_t bytes = T * want.quads * want.unit;
      for (const auto& [name, fn] : versions) {
        Mxfp4Q8Panel got;
        got.data.assign(bytes + 63, 0xa5);  // stale bytes must be overwritten
        fn(x.data(), T, K, levels, got);
        ASSERT_EQ(got.unit, want.unit);
        ASSERT_EQ(got.quads, want.quads);
        for (std::size_t i = 0; i < bytes; ++i)
          ASSERT_EQ(got.row(0)[i], want.row(0)[i]) << name << " levels=" << levels << " K=" << K << " T=" << T
                                                   << " byte " << i << " (unit " << i / want.unit << ")";
      }
    }
  }
}

TEST(Mxfp4Q8, ARowsResultDoesNotDependOnTheOtherTokensOfTheStep) {
  // Batched steps must give each sequence its solo result bit for bit.
  std::mt19937 rng(14);
  // 77 rows: past one token block the rows go 32 at a time, and the two thread ranges cut
  // off a block boundary.
  for (std::size_t levels : {1u, 3u}) {
  Case c = make_case(11, 256, 77, rng, levels);
  for (const auto& v : mxfp4_q8_variants()) {
    std::vector<float> all(c.T * c.N);
    v.fn(c.panel, c.blocks.data(), c.scales.data(), nullptr, all.data(), c.N, 0, 45);
    v.fn(c.panel, c.blocks.data(), c.scales.data(), nullptr, all.data(), c.N, 45, c.N);
    for (std::size_t t = 0; t < c.T; ++t) {
      Mxfp4Q8Panel one;
      prepare_mxfp4_q8(&c.x[t * c.K], 1, c.K, levels, one);
      std::vector<float> solo(c.N);
      v.fn(one, c.blocks.data(), c.scales.data(), nullptr, solo.data(), c.N, 0, c.N);
      for (std::size_t n = 0; n < c.N; ++n) ASSERT_EQ(solo[n], all[t * c.N + n]) << v.name << " t=" << t;
    }
  }
  }
}

TEST(Mxfp4Q8, EveryCodeAndTheScaleEdgesDecodeAsTheReference) {
  // One group holding all 16 codes on both nibbles, activations at the Q8 maximum with mixed
  // signs, and scales 0 (2^-127), 1, 127 (2^0) and 200 (2^73).
  const std::size_t K = 32, N = 4;
  std::vector<std::uint8_t> blocks(N * 16), scales = {0, 1, 127, 200};
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < 16; ++j) blocks[n * 16 + j] = static_cast<std::uint8_t>(j | ((15 - j) << 4));
  std::vector<float> x(K);
  for (std::size_t k = 0; k < K; ++k) x[k] = k % 3 == 0 ? -31.75f : 31.75f;  // d = 0.25, q = +-127
  for (std::size_t levels : {1u, 3u}) {
  Mxfp4Q8Panel p;
  prepare_mxfp4_q8(x.data(), 1, K, levels, p);
  std::vector<float> want(N);
  scalar::matmul_mxfp4_q8(p, blocks.data(), scales.data(), nullptr, want.data(), N, 0, N);
  for (std::size_t n = 0; n < N; ++n) {
    double exact = 0;
    for (std::size_t k = 0; k < K; ++k) {
      const unsigned code = k % 2 == 0 ? blocks[n * 16 + k / 2] & 15u : blocks[n * 16 + k / 2] >> 4;
      exact += static_cast<double>(x[k]) * mxfp4_code_value(code) * std::ldexp(1.0, scales[n] - 127);
    }
    EXPECT_DOUBLE_EQ(static_cast<double>(want[n]), static_cast<double>(static_cast<float>(exact))) << n;
    for (const auto& v : mxfp4_q8_variants()) {
      std::vector<float> row(N);
      v.fn(p, blocks.data(), scales.data(), nullptr, row.data(), N, n, n + 1);
      EXPECT_FLOAT_EQ(row[n], want[n]) << v.name << " levels " << levels << " scale " << int(scales[n]);
    }
  }
  }
}

}  // namespace
