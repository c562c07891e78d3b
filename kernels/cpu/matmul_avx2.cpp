// AVX2 + FMA kernels; this file alone is compiled with -mavx2 -mfma -mf16c.
#include <immintrin.h>

#include "kernels/cpu/matmul_variants.hpp"

namespace ossa::kernels::avx2 {
namespace {
#include "kernels/cpu/matmul_simd_impl.hpp"

struct V {
  static constexpr std::size_t width = 8;
  static constexpr std::size_t max_tokens = 4;  // 16 registers
  using reg = __m256;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg set1(float v) { return _mm256_set1_ps(v); }
  static reg loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static float reduce(reg v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static reg load_bf16(const uint16_t* p) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  // Magnitude by a 3-bit table lookup (permutevar8x32 reads only the low 3 bits of each
  // index), sign from bit 3.
  static reg decode8(__m256i idx, __m256 lut) {
    __m256 mag = _mm256_permutevar8x32_ps(lut, idx);
    __m256i sign = _mm256_and_si256(_mm256_slli_epi32(idx, 28), _mm256_set1_epi32(INT32_MIN));
    return _mm256_xor_ps(mag, _mm256_castsi256_ps(sign));
  }
  // Per 8 packed bytes: the 8 low-nibble (even) elements, then the 8 high-nibble (odd) ones.
  static void decode_group(const uint8_t* b16, float scale, reg out[4]) {
    const __m256 lut = _mm256_mul_ps(_mm256_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f),
                                     _mm256_set1_ps(scale));
    for (int h = 0; h < 2; ++h) {
      __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b16 + 8 * h)));
      out[2 * h] = decode8(v, lut);
      out[2 * h + 1] = decode8(_mm256_srli_epi32(v, 4), lut);
    }
  }
};
}  // namespace

void matmul_bf16(const float* x, std::size_t T, std::size_t K, const uint16_t* w,
                 const uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  matmul_bf16_impl<V>(x, T, K, w, bias, y, ldy, n0, n1);
}
void matmul_mxfp4(const float* x, std::size_t T, std::size_t K, const uint8_t* blocks,
                  const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy,
                  std::size_t n0, std::size_t n1) {
  matmul_mxfp4_impl<V>(x, T, K, blocks, scales, bias, y, ldy, n0, n1);
}
float dot_f32(const float* a, const float* b, std::size_t n) { return dot_f32_impl<V>(a, b, n); }
void axpy_f32(float alpha, const float* x, float* y, std::size_t n) {
  axpy_f32_impl<V>(alpha, x, y, n);
}

}  // namespace ossa::kernels::avx2
