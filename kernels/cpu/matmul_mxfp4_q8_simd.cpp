// The MXFP4 x Q8 product for one instruction set. Compiled three times (kernels/CMakeLists.txt):
// AVX2 (avx2::matmul_mxfp4_q8), AVX-512BW (avx512::matmul_mxfp4_q8_bw) and AVX-512 with VNNI
// (OSSA_Q8_VNNI: avx512::matmul_mxfp4_q8_vnni, only called when the CPU reports avx512vnni).
//
// Per 128 columns of a weight row: one 64-byte load holds four groups, one per 128-bit lane;
// the low and high nibbles (even and odd elements) are looked up in a 16-entry table
// (vpshufb) as unsigned bytes 2v + 12 and multiplied into int32 lanes against the panel's
// even and odd activation bytes (vpdpbusd; vpmaddubsw + vpmaddwd without VNNI), starting from
// the panel's corrections, so each lane ends with an exact integer. The lanes are converted
// once, scaled by the panel's activation scale times the group's power of two, and added into
// one fp32 accumulator per (token, row). Every (token, row) sums its quads in the same order
// whatever the tile, so a row's result does not depend on which other rows share the step.
#include "kernels/cpu/matmul_mxfp4_q8.hpp"

#include <cstring>

#include "kernels/cpu/mxfp4.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {
namespace {

// 2 v + 12 for each code (bit 3 the sign, bits 0-2 the magnitude 0, .5, 1, 1.5, 2, 3, 4, 6).
alignas(16) constexpr std::int8_t kLut[16] = {12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0};

// The quad's valid groups (4 but in the last quad of a row whose K is not a multiple of 128).
std::size_t groups_in(std::size_t q, std::size_t groups) {
  const std::size_t left = groups - q * kMxfp4Q8QuadGroups;
  return left < kMxfp4Q8QuadGroups ? left : kMxfp4Q8QuadGroups;
}

// A weight row is short (K = 2880: 1,440 bytes of codes, 23 lines) and a tile reads NB of
// them side by side, so the hardware prefetcher meets a new short stream at every tile and the
// kernel waits on memory (perf: most samples on the loads of codes and scales). The rows are
// contiguous, so while a tile runs it asks for the tile ahead, line for line, one quad at a
// time, and for that tile's scale bytes once. Only when all of the product's tokens fit one
// tile (a decode step of one to four sequences; an expert chosen by two of four sequences
// gets a two-token product): then every weight row comes from memory once, into this tile,
// and a four-token tile without it spent a quarter of its samples waiting on the weight load.
// With more tokens, rows go a cache block at a time (impl_levels) and the dot products
// bound the tiles: a 512-token prefill measured no better with it.
constexpr std::size_t kAheadTiles = 2;

void prefetch_ahead(const std::uint8_t* blocks, const std::uint8_t* scales, std::size_t groups, std::size_t n,
                    std::size_t nb, std::size_t qi) {
  const std::size_t ahead = n + kAheadTiles * nb;
  for (std::size_t r = 0; r < nb; ++r)
    _mm_prefetch(reinterpret_cast<const char*>(blocks + ((ahead + r) * groups + qi * kMxfp4Q8QuadGroups) * kMxfp4GroupBytes),
                 _MM_HINT_T0);
  if (qi == 0) {
    for (std::size_t b = 0; b < nb * groups; b += 64)
      _mm_prefetch(reinterpret_cast<const char*>(scales + ahead * groups + b), _MM_HINT_T0);
  }
}

#if defined(OSSA_SIMD_AVX512)
constexpr std::size_t kMaxTokens = 4;

// The scale bytes of a quad as one little-endian word, the missing groups' bytes zero.
std::uint32_t scale_word(const std::uint8_t* s, std::size_t n) {
  std::uint32_t w = 0;
  if (n == kMxfp4Q8QuadGroups) {
    std::memcpy(&w, s, sizeof w);  // a fixed size, so one load rather than a call
  } else {
    for (std::size_t i = 0; i < n; ++i) w |= static_cast<std::uint32_t>(s[i]) << (8 * i);
  }
  return w;
}

struct Quad {
  __m512i lo, hi;  // unsigned table values of the even and odd elements
  __m512 pow2;     // s - 127 per lane (lane i: group i / 4), for vscalefps
};

Quad load_quad(const std::uint8_t* b, const std::uint8_t* s, std::size_t n) {
  const __m512i w = n == kMxfp4Q8QuadGroups ? _mm512_loadu_si512(b) : _mm512_maskz_loadu_epi8((1ull << (16 * n)) - 1, b);
  const __m512i lut = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kLut)));
  const __m512i nib = _mm512_set1_epi8(0x0f);
  Quad q;
  q.lo = _mm512_shuffle_epi8(lut, _mm512_and_si512(w, nib));
  q.hi = _mm512_shuffle_epi8(lut, _mm512_and_si512(_mm512_srli_epi16(w, 4), nib));
  const __m512i e = _mm512_cvtepu8_epi32(_mm_cvtsi32_si128(static_cast<int>(scale_word(s, n))));
  const __m512i spread = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
  q.pow2 = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_permutexvar_epi32(spread, e), _mm512_set1_epi32(127)));
  return q;
}

// One level's sum of (2 v + 12) x per lane, added to a.
__m512i dot_level(__m512i a, const Quad& q, const std::uint8_t* level) {
  const __m512i even = _mm512_load_si512(level), odd = _mm512_load_si512(level + 64);
#if defined(OSSA_Q8_VNNI)
  return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(a, q.lo, even), q.hi, odd);
#else
  // Each int16 pair sum is at most 2 * 24 * 127, two of them still fit.
  const __m512i pairs = _mm512_add_epi16(_mm512_maddubs_epi16(q.lo, even), _mm512_maddubs_epi16(q.hi, odd));
  return _mm512_add_epi32(a, _mm512_madd_epi16(pairs, _mm512_set1_epi16(1)));
#endif
}

// The exact 2 sum v x of each lane, from the panel unit p: the levels combined as
// l1 2^14 + l2 2^7 + l3 + the correction. Each level is its own chain of two dot products, so
// the three run side by side rather than one after another.
template <std::size_t Lv>
__m512i dot_quad(const Quad& q, const std::uint8_t* p) {
  const __m512i corr = _mm512_load_si512(p + 128 * Lv);
  if constexpr (Lv == 1) {
    return dot_level(corr, q, p);
  } else {
    static_assert(Lv == 3);
    const __m512i l1 = dot_level(_mm512_setzero_si512(), q, p);
    const __m512i l2 = dot_level(_mm512_setzero_si512(), q, p + 128);
    const __m512i l3 = dot_level(corr, q, p + 256);
    return _mm512_add_epi32(_mm512_add_epi32(_mm512_slli_epi32(l1, 14), _mm512_slli_epi32(l2, 7)), l3);
  }
}

// NB weight rows from n against TB tokens.
template <std::size_t Lv, std::size_t TB, std::size_t NB>
void tile(const Mxfp4Q8Panel& x, std::size_t t0, const std::uint8_t* blocks, const std::uint8_t* scales,
          const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n) {
  const std::size_t groups = x.K / kMxfp4Group;
  __m512 acc[NB][TB];
  for (std::size_t r = 0; r < NB; ++r)
    for (std::size_t t = 0; t < TB; ++t) acc[r][t] = _mm512_setzero_ps();
  for (std::size_t qi = 0; qi < x.quads; ++qi) {
    const std::size_t ng = groups_in(qi, groups);
    if (TB == 1 || x.T <= kMaxTokens) prefetch_ahead(blocks, scales, groups, n, NB, qi);
    Quad w[NB];
    for (std::size_t r = 0; r < NB; ++r)
      w[r] = load_quad(blocks + ((n + r) * groups + qi * kMxfp4Q8QuadGroups) * kMxfp4GroupBytes,
                       scales + (n + r) * groups + qi * kMxfp4Q8QuadGroups, ng);
    for (std::size_t t = 0; t < TB; ++t) {
      const std::uint8_t* p = x.row(t0 + t) + qi * x.unit;
      const __m512 half_d = _mm512_load_ps(reinterpret_cast<const float*>(p + 128 * Lv + 64));
      for (std::size_t r = 0; r < NB; ++r)
        acc[r][t] =
            _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot_quad<Lv>(w[r], p)), _mm512_scalef_ps(half_d, w[r].pow2), acc[r][t]);
    }
  }
  for (std::size_t r = 0; r < NB; ++r) {
    const float b = bias ? simd_bf16(bias[n + r]) : 0.0f;
    for (std::size_t t = 0; t < TB; ++t) y[t * ldy + n + r] = V::reduce(acc[r][t]) + b;
  }
}

// Decode streams four rows at once (more independent chains, one panel load per four rows);
// with more tokens each weight quad is decoded once for up to four of them, two rows at once.
constexpr std::size_t rows_for(std::size_t TB) { return TB == 1 ? 4 : 2; }
#else
constexpr std::size_t kMaxTokens = 4;

// AVX2: a quad as two halves of two groups (one group per 128-bit lane), the panel's
// even/odd/corr/scale bytes taken in the same halves.
struct Half {
  __m256i lo, hi;
  __m256 pow2;  // 2^(s-127) per lane
};

Half load_half(const std::uint8_t* b, const std::uint8_t* s, std::size_t n) {
  __m256i w;
  if (n == 2) {
    w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
  } else {
    w = _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
  }
  const __m256i lut = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kLut)));
  const __m256i nib = _mm256_set1_epi8(0x0f);
  Half h;
  h.lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(w, nib));
  h.hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(w, 4), nib));
  // 2^(s-127) as a float: exponent field s, or the subnormal 2^-127 for s = 0 (2^-1 * 2^-126).
  const auto pow2 = [](std::uint8_t e) {
    float f;
    const std::uint32_t bits = e ? static_cast<std::uint32_t>(e) << 23 : 0x00400000u;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  };
  h.pow2 = _mm256_set_m128(_mm_set1_ps(n == 2 ? pow2(s[1]) : 0.0f), _mm_set1_ps(pow2(s[0])));
  return h;
}

__m256i dot_level(const Half& h, const std::uint8_t* level, std::size_t half) {
  const __m256i even = _mm256_load_si256(reinterpret_cast<const __m256i*>(level + 32 * half));
  const __m256i odd = _mm256_load_si256(reinterpret_cast<const __m256i*>(level + 64 + 32 * half));
  const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(h.lo, even), _mm256_maddubs_epi16(h.hi, odd));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// As the AVX-512 dot_quad, for one half.
template <std::size_t Lv>
__m256i dot_half(const Half& h, const std::uint8_t* p, std::size_t half) {
  __m256i a = dot_level(h, p, half);
  for (std::size_t l = 1; l < Lv; ++l) a = _mm256_add_epi32(_mm256_slli_epi32(a, 7), dot_level(h, p + 128 * l, half));
  return _mm256_add_epi32(a, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + 128 * Lv + 32 * half)));
}

template <std::size_t Lv, std::size_t TB, std::size_t NB>
void tile(const Mxfp4Q8Panel& x, std::size_t t0, const std::uint8_t* blocks, const std::uint8_t* scales,
          const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n) {
  const std::size_t groups = x.K / kMxfp4Group;
  __m256 acc[NB][TB];
  for (std::size_t r = 0; r < NB; ++r)
    for (std::size_t t = 0; t < TB; ++t) acc[r][t] = _mm256_setzero_ps();
  for (std::size_t qi = 0; qi < x.quads; ++qi) {
    const std::size_t ng = groups_in(qi, groups);
    if (TB == 1 || x.T <= kMaxTokens) prefetch_ahead(blocks, scales, groups, n, NB, qi);
    for (std::size_t half = 0; half < 2 && 2 * half < ng; ++half) {
      const std::size_t nh = ng - 2 * half < 2 ? ng - 2 * half : 2;
      Half w[NB];
      for (std::size_t r = 0; r < NB; ++r) {
        const std::size_t g = (n + r) * groups + qi * kMxfp4Q8QuadGroups + 2 * half;
        w[r] = load_half(blocks + g * kMxfp4GroupBytes, scales + g, nh);
      }
      for (std::size_t t = 0; t < TB; ++t) {
        const std::uint8_t* p = x.row(t0 + t) + qi * x.unit;
        const __m256 half_d = _mm256_load_ps(reinterpret_cast<const float*>(p + 128 * Lv + 64 + 32 * half));
        for (std::size_t r = 0; r < NB; ++r)
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_half<Lv>(w[r], p, half)),
                                      _mm256_mul_ps(half_d, w[r].pow2), acc[r][t]);
      }
    }
  }
  for (std::size_t r = 0; r < NB; ++r) {
    const float b = bias ? simd_bf16(bias[n + r]) : 0.0f;
    for (std::size_t t = 0; t < TB; ++t) y[t * ldy + n + r] = V::reduce(acc[r][t]) + b;
  }
}

constexpr std::size_t rows_for(std::size_t TB) { return TB == 1 ? 2 : 1; }
#endif

template <std::size_t Lv, std::size_t TB>
void rows(const Mxfp4Q8Panel& x, std::size_t t0, const std::uint8_t* blocks, const std::uint8_t* scales,
          const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  constexpr std::size_t NB = rows_for(TB);
  std::size_t n = n0;
  for (; n + NB <= n1; n += NB) tile<Lv, TB, NB>(x, t0, blocks, scales, bias, y, ldy, n);
  if constexpr (NB > 1) {
    for (; n < n1; ++n) tile<Lv, TB, 1>(x, t0, blocks, scales, bias, y, ldy, n);
  }
}

template <std::size_t Lv, std::size_t TB>
void block(std::size_t tb, const Mxfp4Q8Panel& x, std::size_t t0, const std::uint8_t* blocks,
           const std::uint8_t* scales, const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0,
           std::size_t n1) {
  if constexpr (TB > 1) {
    if (tb < TB) return block<Lv, TB - 1>(tb, x, t0, blocks, scales, bias, y, ldy, n0, n1);
  }
  rows<Lv, TB>(x, t0, blocks, scales, bias, y, ldy, n0, n1);
}

// Weight rows per cache block when many tokens share the product (32 rows of 2880: 48 KiB).
constexpr std::size_t kRowBlock = 32;

// With more tokens than one tile takes, rows go a block at a time and every token block
// passes over it while it sits in cache, rather than the expert's whole weight coming from
// memory once per kMaxTokens tokens. Each (token, row) sum is the same either way.
template <std::size_t Lv>
void impl_levels(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                 const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  const std::size_t rb = x.T <= kMaxTokens ? n1 - n0 : kRowBlock;
  for (std::size_t r0 = n0; r0 < n1; r0 += rb) {
    const std::size_t r1 = n1 - r0 < rb ? n1 : r0 + rb;
    for (std::size_t t0 = 0; t0 < x.T; t0 += kMaxTokens) {
      const std::size_t tb = x.T - t0 < kMaxTokens ? x.T - t0 : kMaxTokens;
      block<Lv, kMaxTokens>(tb, x, t0, blocks, scales, bias, y + t0 * ldy, ldy, r0, r1);
    }
  }
}

void impl(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales, const std::uint16_t* bias,
          float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  if (x.levels == 3) return impl_levels<3>(x, blocks, scales, bias, y, ldy, n0, n1);
  impl_levels<1>(x, blocks, scales, bias, y, ldy, n0, n1);
}
}  // namespace

#if defined(OSSA_Q8_VNNI)
void matmul_mxfp4_q8_vnni(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                          const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  impl(x, blocks, scales, bias, y, ldy, n0, n1);
}
#elif defined(OSSA_SIMD_AVX512)
void matmul_mxfp4_q8_bw(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                        const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  impl(x, blocks, scales, bias, y, ldy, n0, n1);
}
#else
void matmul_mxfp4_q8(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                     const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  impl(x, blocks, scales, bias, y, ldy, n0, n1);
}
#endif

}  // namespace ossa::kernels::OSSA_SIMD_NS
