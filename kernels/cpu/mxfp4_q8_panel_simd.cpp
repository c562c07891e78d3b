// The MXFP4 x Q8 activation panel for one instruction set (AVX2 or AVX-512; the layout is in
// mxfp4_q8_panel.hpp). A decode step prepares one panel per chosen expert and weight from the
// calling thread alone (too few rows to wake the pool), so the scalar version's per-value
// rounding and byte shuffling sat on the critical path of every MLP block.
//
// Per group of 32: level 1 comes from the row's Q8 quantization (q8.hpp), the residual levels
// from the same float operations as the scalar reference in vector form (fnmadd is fma(-a, b, c);
// the rounding adds +-0.5 and truncates, as round_i does), so the bytes are identical. The
// de-interleave into even and odd elements and the lanes' correction sums follow.
#include <cstring>
#include <vector>

#include "kernels/cpu/mxfp4.hpp"
#include "kernels/cpu/mxfp4_q8_panel.hpp"
#include "kernels/cpu/q8.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {
namespace {
std::int32_t hsum8(__m256i v) {
  const __m128i h = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i q = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
  return _mm_cvtsi128_si32(_mm_add_epi32(q, _mm_shuffle_epi32(q, 0xb1)));
}

constexpr std::size_t R = kMxfp4Group / V::width;  // registers per group

#if defined(OSSA_SIMD_AVX512)
using IReg = __m512i;
IReg widen_i8(const std::int8_t* q) { return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q))); }
IReg set1_i(int v) { return _mm512_set1_epi32(v); }
IReg zero_i() { return _mm512_setzero_si512(); }
V::reg to_float(IReg v) { return _mm512_cvtepi32_ps(v); }
V::reg fnmadd(V::reg a, V::reg b, V::reg c) { return _mm512_fnmadd_ps(a, b, c); }
IReg clamp127(IReg v) { return _mm512_min_epi32(_mm512_max_epi32(v, set1_i(-127)), set1_i(127)); }
IReg add_i(IReg a, IReg b) { return _mm512_add_epi32(a, b); }
IReg shl7(IReg a) { return _mm512_slli_epi32(a, 7); }
// round_i: v + (v < 0 ? -0.5 : 0.5), truncated.
IReg round_away(V::reg v) {
  const __mmask16 neg = _mm512_cmp_ps_mask(v, V::zero(), _CMP_LT_OQ);
  return _mm512_cvttps_epi32(V::add(v, _mm512_mask_blend_ps(neg, V::set1(0.5f), V::set1(-0.5f))));
}
// The low bytes of a group's 32 lane integers, even elements to even[0..16), odd to odd[0..16).
void store_even_odd(const IReg* v, std::int8_t* even, std::int8_t* odd) {
  const IReg ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const IReg io = _mm512_add_epi32(ie, set1_i(1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(even), _mm512_cvtepi32_epi8(_mm512_permutex2var_epi32(v[0], ie, v[1])));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(odd), _mm512_cvtepi32_epi8(_mm512_permutex2var_epi32(v[0], io, v[1])));
}
// Sums of the group's four runs of eight consecutive lane integers (one per 256-bit half).
void lane_sums(const IReg* v, std::int32_t* s) {
  for (std::size_t r = 0; r < 4; ++r) {
    const __m256i h8 = r % 2 ? _mm512_extracti64x4_epi64(v[r / 2], 1) : _mm512_castsi512_si256(v[r / 2]);
    s[r] = hsum8(h8);
  }
}
#else
using IReg = __m256i;
IReg widen_i8(const std::int8_t* q) { return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q))); }
IReg set1_i(int v) { return _mm256_set1_epi32(v); }
IReg zero_i() { return _mm256_setzero_si256(); }
V::reg to_float(IReg v) { return _mm256_cvtepi32_ps(v); }
V::reg fnmadd(V::reg a, V::reg b, V::reg c) { return _mm256_fnmadd_ps(a, b, c); }
IReg clamp127(IReg v) { return _mm256_min_epi32(_mm256_max_epi32(v, set1_i(-127)), set1_i(127)); }
IReg add_i(IReg a, IReg b) { return _mm256_add_epi32(a, b); }
IReg shl7(IReg a) { return _mm256_slli_epi32(a, 7); }
IReg round_away(V::reg v) {
  const __m256 neg = _mm256_cmp_ps(v, V::zero(), _CMP_LT_OQ);
  return _mm256_cvttps_epi32(V::add(v, _mm256_blendv_ps(V::set1(0.5f), V::set1(-0.5f), neg)));
}
void store_even_odd(const IReg* v, std::int8_t* even, std::int8_t* odd) {
  // Per register (eight elements): evens to the low 128-bit lane, odds to the high one, then
  // each lane's four low bytes to its first four.
  const IReg split = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const IReg bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1,
                                      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  for (std::size_t r = 0; r < R; ++r) {
    const IReg b = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(v[r], split), bytes);
    const std::int32_t e = _mm256_cvtsi256_si32(b), o = _mm256_extract_epi32(b, 4);
    std::memcpy(even + 4 * r, &e, sizeof e);
    std::memcpy(odd + 4 * r, &o, sizeof o);
  }
}
void lane_sums(const IReg* v, std::int32_t* s) {
  for (std::size_t r = 0; r < R; ++r) s[r] = hsum8(v[r]);
}
#endif

// One group: its level bytes into the unit at group L, its four corrections into corr.
template <std::size_t Lv>
void group([[maybe_unused]] const float* x, const std::int8_t* q1, float d1, std::uint8_t* unit, std::size_t L, std::int32_t* corr) {
  IReg comb[R];
  for (std::size_t i = 0; i < R; ++i) comb[i] = widen_i8(q1 + i * V::width);
  const auto put = [&](const IReg* v, std::size_t l) {
    auto* even = reinterpret_cast<std::int8_t*>(unit + 128 * l) + L * 16;
    store_even_odd(v, even, even + 64);
  };
  put(comb, 0);
  if constexpr (Lv == 3) {
    // Below 2^-100 the third step (d1 / 2^14) would leave the normal range (as the scalar).
    const bool zero = !(d1 >= 0x1p-100f);
    const float d2 = d1 * 0x1p-7f, d3 = d1 * 0x1p-14f;
    const float inv2 = zero ? 0.0f : 1.0f / d2, inv3 = zero ? 0.0f : 1.0f / d3;
    IReg lv[R];
    V::reg r[R];
    for (std::size_t i = 0; i < R; ++i) r[i] = fnmadd(to_float(comb[i]), V::set1(d1), V::loadu(x + i * V::width));
    for (std::size_t l = 1; l < 3; ++l) {
      const float step = l == 1 ? d2 : d3, inv = l == 1 ? inv2 : inv3;
      for (std::size_t i = 0; i < R; ++i) {
        const IReg a = zero ? zero_i() : round_away(V::mul(r[i], V::set1(inv)));
        if (l == 1) r[i] = fnmadd(to_float(a), V::set1(step), r[i]);
        lv[i] = clamp127(a);
        comb[i] = add_i(shl7(comb[i]), lv[i]);
      }
      put(lv, l);
    }
  }
  std::int32_t s[4];
  lane_sums(comb, s);
  for (std::size_t i = 0; i < 4; ++i) corr[L * 4 + i] = -12 * s[i];
}

template <std::size_t Lv>
void rows(const float* x, std::size_t T, std::size_t K, Mxfp4Q8Panel& p) {
  thread_local std::vector<std::int8_t> q1;
  thread_local std::vector<float> d;
  q1.resize(K);
  d.resize(K / kQ8Block);
  const std::size_t groups = K / kMxfp4Group;
  const float step = Lv == 3 ? 0x1p-14f : 1.0f;
  for (std::size_t t = 0; t < T; ++t) {
    const float* xt = x + t * K;
    quantize_f32_q8(xt, K, q1.data(), d.data());
    std::uint8_t* unit = p.data.data() + p.offset_ + t * p.quads * p.unit;
    for (std::size_t u = 0; u < p.quads; ++u, unit += p.unit) {
      alignas(64) std::int32_t corr[16] = {};
      alignas(64) float scale[16] = {};
      if ((u + 1) * kMxfp4Q8QuadGroups > groups) std::memset(unit, 0, 128 * Lv);
      for (std::size_t L = 0; L < kMxfp4Q8QuadGroups; ++L) {
        const std::size_t g = u * kMxfp4Q8QuadGroups + L;
        if (g >= groups) break;
        group<Lv>(xt + g * kMxfp4Group, q1.data() + g * kMxfp4Group, d[g], unit, L, corr);
        for (std::size_t i = 0; i < 4; ++i) scale[L * 4 + i] = 0.5f * d[g] * step;
      }
      std::memcpy(unit + 128 * Lv, corr, sizeof corr);
      std::memcpy(unit + 128 * Lv + 64, scale, sizeof scale);
    }
  }
}
}  // namespace

void prepare_mxfp4_q8(const float* x, std::size_t T, std::size_t K, std::size_t levels, Mxfp4Q8Panel& p) {
  shape_mxfp4_q8_panel(T, K, levels, p);
  if (p.levels == 3) return rows<3>(x, T, K, p);
  rows<1>(x, T, K, p);
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
