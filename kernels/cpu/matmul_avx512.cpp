// AVX-512 (F, BW, VL) kernels; this file alone is compiled with the AVX-512 -m flags.
#include <immintrin.h>

#include "kernels/cpu/matmul_variants.hpp"

namespace ossa::kernels::avx512 {
namespace {
#include "kernels/cpu/matmul_simd_impl.hpp"

struct V {
  static constexpr std::size_t width = 16;
  static constexpr std::size_t max_tokens = 8;  // 32 registers
  using reg = __m512;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg set1(float v) { return _mm512_set1_ps(v); }
  static reg loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  // Via memory: GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its own header.
  static float reduce(reg v) {
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, v);
    __m256 s8 = _mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static reg load_bf16(const uint16_t* p) {
    __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  // All 16 signed FP4 values fit one register, and permutexvar reads only the low 4 bits of
  // each index: the even (low-nibble) elements need no masking, the odd ones one shift.
  static void decode_group(const uint8_t* b16, float scale, reg out[2]) {
    const __m512 lut = _mm512_mul_ps(
        _mm512_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f, -0.0f, -0.5f, -1.0f, -1.5f,
                       -2.0f, -3.0f, -4.0f, -6.0f),
        _mm512_set1_ps(scale));
    __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b16)));
    out[0] = _mm512_permutexvar_ps(v, lut);
    out[1] = _mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), lut);
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

}  // namespace ossa::kernels::avx512
