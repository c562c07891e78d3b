// bf16 and MXFP4 matmul, dot and axpy for one instruction set, like every `<op>_simd.cpp`:
// compiled once per ISA (simd_traits.hpp gives the namespace and the vector traits V). Only the
// MXFP4 decode differs by ISA, so it is the one thing added to V here.
#include "kernels/cpu/matmul_variants.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {
namespace {

#if defined(OSSA_SIMD_AVX512)
struct MatmulV : V {
  static constexpr std::size_t max_tokens = 8;  // 32 registers
  // bf16 tiles: 4 rows x 3 tokens x 2 chains = 24 accumulators, 4 weight registers and one
  // activation register of the 32. Measured against 3 x 3, 3 x 4, 5 x 2, 6 x 2 and 2 x 6 (one
  // core, 512 x 5120 x 2880): 129-159 ms, the others 152-197 ms.
  static constexpr std::size_t bf16_tile_rows = 4, bf16_tile_tokens = 3;
  // MXFP4 rows per tile: one token gets 4 (4 FMA chains), more tokens get 2, so each
  // activation load serves two rows (prefill was bound by those loads); 8 x 2 accumulators
  // and the decoded rows fit the 32 registers.
  template <std::size_t TB>
  static constexpr std::size_t row_tile = TB == 1 ? 4 : 2;
  // All 16 signed FP4 values fit one register, and permutexvar reads only the low 4 bits of
  // each index: the even (low-nibble) elements need no masking, the odd ones one shift.
  static void decode_group(const std::uint8_t* b16, float scale, reg out[2]) {
    const __m512 lut = _mm512_mul_ps(
        _mm512_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f, -0.0f, -0.5f, -1.0f, -1.5f,
                       -2.0f, -3.0f, -4.0f, -6.0f),
        _mm512_set1_ps(scale));
    __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b16)));
    out[0] = _mm512_permutexvar_ps(v, lut);
    out[1] = _mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), lut);
  }
};
#else
struct MatmulV : V {
  static constexpr std::size_t max_tokens = 4;  // 16 registers
  // bf16 tiles: one row x 4 tokens x 2 chains (16 registers leave no room for more rows; 2
  // rows x 3 tokens measured slower at 4 tokens, which it splits 3 + 1).
  static constexpr std::size_t bf16_tile_rows = 1, bf16_tile_tokens = 4;
  // Two rows of one token: 4 accumulators and 2 x 4 decoded registers of the 16.
  template <std::size_t TB>
  static constexpr std::size_t row_tile = TB == 1 ? 2 : 1;
  // Magnitude by a 3-bit table lookup (permutevar8x32 reads only the low 3 bits of each
  // index), sign from bit 3.
  static reg decode8(__m256i idx, __m256 lut) {
    __m256 mag = _mm256_permutevar8x32_ps(lut, idx);
    __m256i sign = _mm256_and_si256(_mm256_slli_epi32(idx, 28), _mm256_set1_epi32(INT32_MIN));
    return _mm256_xor_ps(mag, _mm256_castsi256_ps(sign));
  }
  // Per 8 packed bytes: the 8 low-nibble (even) elements, then the 8 high-nibble (odd) ones.
  static void decode_group(const std::uint8_t* b16, float scale, reg out[4]) {
    const __m256 lut = _mm256_mul_ps(_mm256_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f),
                                     _mm256_set1_ps(scale));
    for (int h = 0; h < 2; ++h) {
      __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b16 + 8 * h)));
      out[2 * h] = decode8(v, lut);
      out[2 * h + 1] = decode8(_mm256_srli_epi32(v, 4), lut);
    }
  }
};
#endif

#include "kernels/cpu/matmul_simd_impl.hpp"

}  // namespace

void matmul_bf16(const float* x, std::size_t T, std::size_t K, const uint16_t* w,
                 const uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  matmul_bf16_impl<MatmulV>(x, T, K, w, bias, y, ldy, n0, n1);
}
void matmul_mxfp4(const float* x, std::size_t T, std::size_t K, const uint8_t* blocks,
                  const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy,
                  std::size_t n0, std::size_t n1) {
  matmul_mxfp4_impl<MatmulV>(x, T, K, blocks, scales, bias, y, ldy, n0, n1);
}
float dot_f32(const float* a, const float* b, std::size_t n) { return dot_f32_impl<MatmulV>(a, b, n); }
void axpy_f32(float alpha, const float* x, float* y, std::size_t n) { axpy_f32_impl<MatmulV>(alpha, x, y, n); }

}  // namespace ossa::kernels::OSSA_SIMD_NS
