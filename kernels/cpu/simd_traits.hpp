#pragma once
// Vector traits for the per-op SIMD files (`<op>_simd.cpp`). Each of those files is compiled
// twice, once per instruction set (kernels/CMakeLists.txt: OSSA_SIMD_AVX2 with -mavx2 -mfma,
// OSSA_SIMD_AVX512 with the AVX-512 flags), and this header gives it:
//   - OSSA_SIMD_NS: the namespace its functions go in (`avx2` or `avx512`);
//   - struct V in an anonymous namespace: width, reg, zero, set1, loadu, storeu, add, sub, mul,
//     fma, max, min, reduce (sum), reduce_max, load_bf16, exp.
// Internal linkage only, and no standard-library templates in SIMD files: an inline function
// compiled with -mavx2 must never be the copy the linker keeps for code that runs on older CPUs.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#if defined(OSSA_SIMD_AVX512)
#define OSSA_SIMD_NS avx512
#elif defined(OSSA_SIMD_AVX2)
#define OSSA_SIMD_NS avx2
#else
#error "simd_traits.hpp is only for the per-ISA SIMD files"
#endif

namespace ossa::kernels::OSSA_SIMD_NS {
namespace {

// Cephes-style expf: 2^n * p(r) with r = x - n ln2, |r| <= ln2/2; ~1 ulp on [-87, 88].
constexpr float kExpHi = 88.3762626647949f, kExpLo = -87.3365447504f;
constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
constexpr float kExpP[6] = {1.9875691500E-4f, 1.3981999507E-3f, 8.3334519073E-3f,
                            4.1665795894E-2f, 1.6666665459E-1f, 5.0000001201E-1f};

#if defined(OSSA_SIMD_AVX512)
struct V {
  static constexpr std::size_t width = 16;
  using reg = __m512;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg set1(float v) { return _mm512_set1_ps(v); }
  static reg loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg max(reg a, reg b) { return _mm512_max_ps(a, b); }
  static reg min(reg a, reg b) { return _mm512_min_ps(a, b); }
  static reg div(reg a, reg b) { return _mm512_div_ps(a, b); }
  // Via memory, then a tree like AVX2's: GCC 12's _mm512_reduce_*_ps trip -Wuninitialized
  // inside its own header.
  static float reduce(reg v) {
    alignas(64) float l[16];
    _mm512_store_ps(l, v);
    __m256 s8 = _mm256_add_ps(_mm256_load_ps(l), _mm256_load_ps(l + 8));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float reduce_max(reg v) {
    alignas(64) float l[16];
    _mm512_store_ps(l, v);
    float m = l[0];
    for (int i = 1; i < 16; ++i) m = l[i] > m ? l[i] : m;
    return m;
  }
  static reg load_bf16(const std::uint16_t* p) {
    __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static reg exp(reg x) {
    x = min(max(x, set1(kExpLo)), set1(kExpHi));
    reg fx = _mm512_roundscale_ps(fma(x, set1(kLog2e), set1(0.5f)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    x = sub(sub(x, mul(fx, set1(kLn2Hi))), mul(fx, set1(kLn2Lo)));
    reg y = set1(kExpP[0]);
    for (int i = 1; i < 6; ++i) y = fma(y, x, set1(kExpP[i]));
    y = fma(y, mul(x, x), add(x, set1(1.0f)));
    __m512i n = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(fx), _mm512_set1_epi32(127)), 23);
    return mul(y, _mm512_castsi512_ps(n));
  }
};
#else
struct V {
  static constexpr std::size_t width = 8;
  using reg = __m256;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg set1(float v) { return _mm256_set1_ps(v); }
  static reg loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
  static reg div(reg a, reg b) { return _mm256_div_ps(a, b); }
  static float reduce(reg v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float reduce_max(reg v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static reg load_bf16(const std::uint16_t* p) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static reg exp(reg x) {
    x = min(max(x, set1(kExpLo)), set1(kExpHi));
    reg fx = _mm256_floor_ps(fma(x, set1(kLog2e), set1(0.5f)));
    x = sub(sub(x, mul(fx, set1(kLn2Hi))), mul(fx, set1(kLn2Lo)));
    reg y = set1(kExpP[0]);
    for (int i = 1; i < 6; ++i) y = fma(y, x, set1(kExpP[i]));
    y = fma(y, mul(x, x), add(x, set1(1.0f)));
    __m256i n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return mul(y, _mm256_castsi256_ps(n));
  }
};
#endif

inline float simd_bf16(std::uint16_t v) {
  std::uint32_t bits = static_cast<std::uint32_t>(v) << 16;
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace
}  // namespace ossa::kernels::OSSA_SIMD_NS
