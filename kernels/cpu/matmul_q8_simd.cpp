// The Q8 product for one instruction set. Compiled three times (kernels/CMakeLists.txt): AVX2
// (avx2::matmul_q8_int8), AVX-512BW (avx512::matmul_q8_int8_bw) and AVX-512 with VNNI
// (OSSA_Q8_VNNI: avx512::matmul_q8_int8_vnni, only called when the CPU reports avx512vnni).
//
// Integer dot of a weight block w with an activation block x: vpmaddubsw multiplies unsigned
// by signed bytes, so it gets |w| and x with w's sign moved onto it (the "sign trick": both
// are in [-127, 127], so a pair sum of 2 * 127 * 127 fits int16); vpmaddwd then sums pairs to
// int32. VNNI's vpdpbusd does both steps in one. Each block's int32 sums are converted once
// and multiplied by the product of the two scales.
//
// A weight row is loaded once for up to kMaxTokens activation rows (prefill); decode (T = 1)
// streams the weights with two accumulator chains (AVX2) or two blocks per register (AVX-512).
#include "kernels/cpu/matmul_q8.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {
namespace {
constexpr std::size_t kB = 32;

#if defined(OSSA_SIMD_AVX512)
constexpr std::size_t kMaxTokens = 8;

// The odd last block (32 bytes) with 256-bit integer ops: 8 int32 partial sums.
__m256i dot_block(const std::int8_t* wp, const std::int8_t* xp) {
  const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp));
  const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp));
  const __m256i a = _mm256_sign_epi8(w, w), sx = _mm256_sign_epi8(x, w);
#if defined(OSSA_Q8_VNNI)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), a, sx);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(a, sx), _mm256_set1_epi16(1));
#endif
}

std::int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}


struct WeightPair {
  __m512i abs;
  __mmask64 neg;
};

WeightPair load_pair(const std::int8_t* p) {
  const __m512i w = _mm512_loadu_si512(p);
  return {_mm512_abs_epi8(w), _mm512_movepi8_mask(w)};
}

// Two blocks at once: lanes 0-7 hold the first block's int32 partial sums, 8-15 the second's.
__m512i dot_pair(const WeightPair& w, const std::int8_t* xp) {
  const __m512i x = _mm512_loadu_si512(xp);
  const __m512i sx = _mm512_mask_sub_epi8(x, w.neg, _mm512_setzero_si512(), x);
#if defined(OSSA_Q8_VNNI)
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), w.abs, sx);
#else
  return _mm512_madd_epi16(_mm512_maddubs_epi16(w.abs, sx), _mm512_set1_epi16(1));
#endif
}

template <std::size_t TB>
void q8_rows(const std::int8_t* xq, const float* xd, std::size_t K, const std::int8_t* wq, const float* wd,
             const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  const std::size_t blocks = K / kB;
  for (std::size_t n = n0; n < n1; ++n) {
    const std::int8_t* wr = wq + n * K;
    const float* ws = wd + n * blocks;
    __m512 acc[TB];
    float tail[TB];
    for (std::size_t i = 0; i < TB; ++i) {
      acc[i] = _mm512_setzero_ps();
      tail[i] = 0.0f;
    }
    std::size_t g = 0;
    for (; g + 2 <= blocks; g += 2) {
      const WeightPair w = load_pair(wr + g * kB);
      for (std::size_t i = 0; i < TB; ++i) {
        const float* xs = xd + i * blocks + g;
        const __m512 s = _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(ws[g] * xs[0]), _mm512_set1_ps(ws[g + 1] * xs[1]));
        acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot_pair(w, xq + i * K + g * kB)), s, acc[i]);
      }
    }
    if (g < blocks) {
      for (std::size_t i = 0; i < TB; ++i)
        tail[i] = static_cast<float>(hsum_i32(dot_block(wr + g * kB, xq + i * K + g * kB))) * (ws[g] * xd[i * blocks + g]);
    }
    const float b = bias ? simd_bf16(bias[n]) : 0.0f;
    for (std::size_t i = 0; i < TB; ++i) y[i * ldy + n] = V::reduce(acc[i]) + tail[i] + b;
  }
}
#else
constexpr std::size_t kMaxTokens = 4;

template <std::size_t TB>
void q8_rows(const std::int8_t* xq, const float* xd, std::size_t K, const std::int8_t* wq, const float* wd,
             const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  const std::size_t blocks = K / kB;
  const __m256i ones = _mm256_set1_epi16(1);
  for (std::size_t n = n0; n < n1; ++n) {
    const std::int8_t* wr = wq + n * K;
    const float* ws = wd + n * blocks;
    __m256 acc[2][TB];
    for (std::size_t i = 0; i < TB; ++i) acc[0][i] = acc[1][i] = _mm256_setzero_ps();
    for (std::size_t g = 0; g < blocks; ++g) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + g * kB));
      const __m256i a = _mm256_sign_epi8(w, w);
      const std::size_t c = g & 1;  // alternate chains to hide the FMA latency
      for (std::size_t i = 0; i < TB; ++i) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + i * K + g * kB));
        const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(a, _mm256_sign_epi8(x, w)), ones);
        acc[c][i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(ws[g] * xd[i * blocks + g]), acc[c][i]);
      }
    }
    const float b = bias ? simd_bf16(bias[n]) : 0.0f;
    for (std::size_t i = 0; i < TB; ++i) y[i * ldy + n] = V::reduce(_mm256_add_ps(acc[0][i], acc[1][i])) + b;
  }
}
#endif

template <std::size_t TB>
void q8_block(std::size_t tb, const std::int8_t* xq, const float* xd, std::size_t K, const std::int8_t* wq,
              const float* wd, const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  if constexpr (TB > 1) {
    if (tb < TB) return q8_block<TB - 1>(tb, xq, xd, K, wq, wd, bias, y, ldy, n0, n1);
  }
  q8_rows<TB>(xq, xd, K, wq, wd, bias, y, ldy, n0, n1);
}

void q8_impl(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K, const std::int8_t* wq,
             const float* wd, const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  const std::size_t blocks = K / kB;
  for (std::size_t t0 = 0; t0 < T; t0 += kMaxTokens) {
    const std::size_t tb = T - t0 < kMaxTokens ? T - t0 : kMaxTokens;
    q8_block<kMaxTokens>(tb, xq + t0 * K, xd + t0 * blocks, K, wq, wd, bias, y + t0 * ldy, ldy, n0, n1);
  }
}
}  // namespace

#if defined(OSSA_Q8_VNNI)
void matmul_q8_int8_vnni(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K,
                         const std::int8_t* wq, const float* wd, const std::uint16_t* bias, float* y,
                         std::size_t ldy, std::size_t n0, std::size_t n1) {
  q8_impl(xq, xd, T, K, wq, wd, bias, y, ldy, n0, n1);
}
#elif defined(OSSA_SIMD_AVX512)
void matmul_q8_int8_bw(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K,
                       const std::int8_t* wq, const float* wd, const std::uint16_t* bias, float* y,
                       std::size_t ldy, std::size_t n0, std::size_t n1) {
  q8_impl(xq, xd, T, K, wq, wd, bias, y, ldy, n0, n1);
}
#else
void matmul_q8_int8(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K, const std::int8_t* wq,
                    const float* wd, const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0,
                    std::size_t n1) {
  q8_impl(xq, xd, T, K, wq, wd, bias, y, ldy, n0, n1);
}
#endif

}  // namespace ossa::kernels::OSSA_SIMD_NS
