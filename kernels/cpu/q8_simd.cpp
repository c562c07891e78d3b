// Q8 quantize / dequantize for one instruction set: block maximum with vector max, scaling and
// rounding with the vector conversion (ties to even, as the reference), then narrowing to int8.
#include "kernels/cpu/q8.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {
namespace {
constexpr std::size_t kB = 32;
constexpr std::size_t R = kB / V::width;  // registers per block

V::reg abs_ps(V::reg v) { return V::max(v, V::sub(V::zero(), v)); }

// 32 fp32 values (R registers) -> one block.
void quantize_block(const V::reg* v, std::int8_t* q, float* d) {
  V::reg m = abs_ps(v[0]);
  for (std::size_t r = 1; r < R; ++r) m = V::max(m, abs_ps(v[r]));
  const float amax = V::reduce_max(m);
  const float scale = amax / 127.0f;
  const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
  const V::reg vi = V::set1(inv), hi = V::set1(127.0f), lo = V::set1(-127.0f);
#if defined(OSSA_SIMD_AVX512)
  for (std::size_t r = 0; r < R; ++r) {
    const __m512i i32 = _mm512_cvtps_epi32(V::min(hi, V::max(lo, V::mul(v[r], vi))));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + r * 16), _mm512_cvtsepi32_epi8(i32));
  }
#else
  __m256i i32[4];
  for (std::size_t r = 0; r < 4; ++r) i32[r] = _mm256_cvtps_epi32(V::min(hi, V::max(lo, V::mul(v[r], vi))));
  // packs work within 128-bit lanes: the permute puts the 4-byte groups back in order.
  const __m256i p16 = _mm256_packs_epi16(_mm256_packs_epi32(i32[0], i32[1]), _mm256_packs_epi32(i32[2], i32[3]));
  const __m256i p = _mm256_permutevar8x32_epi32(p16, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), p);
#endif
  *d = scale;
}
}  // namespace

void quantize_bf16_q8(const std::uint16_t* v, std::size_t n, std::int8_t* qs, float* d) {
  for (std::size_t b = 0; b < n / kB; ++b) {
    V::reg r[R];
    for (std::size_t i = 0; i < R; ++i) r[i] = V::load_bf16(v + b * kB + i * V::width);
    quantize_block(r, qs + b * kB, d + b);
  }
}

void quantize_f32_q8(const float* v, std::size_t n, std::int8_t* qs, float* d) {
  for (std::size_t b = 0; b < n / kB; ++b) {
    V::reg r[R];
    for (std::size_t i = 0; i < R; ++i) r[i] = V::loadu(v + b * kB + i * V::width);
    quantize_block(r, qs + b * kB, d + b);
  }
}

void dequantize_q8(const std::int8_t* qs, const float* d, std::size_t n, float* y) {
  constexpr std::size_t W = V::width;
  for (std::size_t b = 0; b < n / kB; ++b) {
    const V::reg s = V::set1(d[b]);
    for (std::size_t i = 0; i < R; ++i) {
      const std::int8_t* q = qs + b * kB + i * W;
#if defined(OSSA_SIMD_AVX512)
      const __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q))));
#else
      const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q))));
#endif
      V::storeu(y + b * kB + i * W, V::mul(f, s));
    }
  }
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
