#pragma once
// Shared body of the AVX2 and AVX-512 kernels, written once over a vector-traits type V.
// Included ONLY by matmul_simd.cpp (compiled once per ISA), inside its anonymous namespace, so
// each instantiation is compiled with that object's -m flags and has internal linkage
// (no inline function compiled with AVX can leak into code that runs on older CPUs). For the
// same reason this file uses no standard-library templates, only malloc/free.
//
// V provides: width, max_tokens, row_tile<TB> (MXFP4 rows per tile for TB tokens), reg, zero(), set1(float), loadu(const float*),
// storeu(float*, reg), fma(a, b, c), add(a, b), reduce(reg), load_bf16(const uint16_t*),
// decode_group(const uint8_t* 16 bytes, float scale, reg out[32 / width]).
//
// MXFP4: decode_group returns, per `width` packed bytes, first the low-nibble codes (the even
// elements), then the high-nibble codes (the odd ones), which saves unpacking nibbles into
// element order. x is permuted once per call to match: per 2*width elements, evens then odds.
//
// Both kernels run weight rows against blocks of tokens (each row is loaded and decoded once per
// block), with the block size a template parameter so accumulators stay in registers. bf16
// takes one row at a time with two accumulator chains per token for one token (decode), and
// tiles of bf16_tile_rows rows x bf16_tile_tokens tokens for more. MXFP4 runs up to
// max_tokens tokens and takes a tile of rows (row_tile), so each token's activations are loaded
// once per tile.

#include <cstddef>
#include <cstdint>
#include <cstdlib>


// 2^(s-127) built from its bit pattern (s = 0 is the subnormal 2^-127, s = 255 is +inf, as
// std::ldexp in the scalar reference gives).
inline float simd_scale_value(uint8_t s) {
  uint32_t bits = s == 0 ? 0x00400000u : static_cast<uint32_t>(s) << 23;
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}

// bf16 weights asked for this far ahead (elements, 2 KiB; rows are contiguous, so past a row's
// end it is the next row) when several tokens share each row. With one token the loop reads
// at the memory's pace and the hardware prefetcher keeps up; with two to eight it runs slower
// per byte and perf put 60% of its samples on the weight loads: the prefetcher had stopped
// running ahead. Asking explicitly took 4 tokens x 5120 x 2880 from 2.9 to 1.75 ms, 32 tokens
// from 23 to 19.4 ms and 512 from 370 to 312 ms (one core, ossa_bench_kernels, alternated);
// one token is unchanged, so it is left out there. 1 and 4 KiB measured slower.
constexpr std::size_t kBf16Ahead = 1024;

// Weight rows per cache block when many tokens share a product (64 rows of 2880: 360 KiB).
constexpr std::size_t kBf16RowBlock = 64;

// A tile of NR bf16 rows against TB tokens, all K columns, into y plus the bias. With several
// rows each weight register and each activation register serves several products (a row at a
// time loads a token's activations once per row, and prefill was bound by those loads). Every
// (token, row) pair sums in two chains over alternate 2W-column halves, reduced and finished
// the same way whatever NR and TB, so its result is bit for bit the one-token one.
template <class V, std::size_t TB, std::size_t NR>
void bf16_tile(const float* x, std::size_t K, const uint16_t* w, const uint16_t* bias, float* y,
               std::size_t ldy, std::size_t n) {
  constexpr std::size_t W = V::width;
  const std::size_t K2 = K / (2 * W) * (2 * W);
  typename V::reg a0[NR][TB], a1[NR][TB];
  for (std::size_t r = 0; r < NR; ++r)
    for (std::size_t i = 0; i < TB; ++i) a0[r][i] = a1[r][i] = V::zero();
  const uint16_t* row = w + n * K;
  std::size_t k = 0;
  for (; k < K2; k += 2 * W) {
    if constexpr (TB > 1) {
      for (std::size_t r = 0; r < NR; ++r) __builtin_prefetch(row + r * K + k + kBf16Ahead, 0, 3);
    }
    typename V::reg w0[NR];
    for (std::size_t r = 0; r < NR; ++r) w0[r] = V::load_bf16(row + r * K + k);
    for (std::size_t i = 0; i < TB; ++i) {
      const typename V::reg xv = V::loadu(x + i * K + k);
      for (std::size_t r = 0; r < NR; ++r) a0[r][i] = V::fma(w0[r], xv, a0[r][i]);
    }
    typename V::reg w1[NR];
    for (std::size_t r = 0; r < NR; ++r) w1[r] = V::load_bf16(row + r * K + k + W);
    for (std::size_t i = 0; i < TB; ++i) {
      const typename V::reg xv = V::loadu(x + i * K + k + W);
      for (std::size_t r = 0; r < NR; ++r) a1[r][i] = V::fma(w1[r], xv, a1[r][i]);
    }
  }
  for (std::size_t r = 0; r < NR; ++r) {
    const uint16_t* wr = row + r * K;
    const float b = bias ? simd_bf16(bias[n + r]) : 0.0f;
    for (std::size_t i = 0; i < TB; ++i) {
      float s = V::reduce(V::add(a0[r][i], a1[r][i]));
      for (std::size_t kk = k; kk < K; ++kk) s += x[i * K + kk] * simd_bf16(wr[kk]);
      y[i * ldy + n + r] = s + b;
    }
  }
}

// Rows [n0, n1) one at a time against TB tokens: a one-token decode, and what tiles leave.
// Not inlined: inlined into matmul_bf16 the one-token loop measured 30% slower on AVX2.
template <class V, std::size_t TB>
__attribute__((noinline)) void bf16_rows(const float* x, std::size_t K, const uint16_t* w, const uint16_t* bias,
                                         float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  for (std::size_t n = n0; n < n1; ++n) bf16_tile<V, TB, 1>(x, K, w, bias, y, ldy, n);
}

// Rows [n0, n1) in tiles of V::bf16_tile_rows against TB tokens, the remainder by bf16_rows.
template <class V, std::size_t TB>
void bf16_tiles(const float* x, std::size_t K, const uint16_t* w, const uint16_t* bias, float* y,
                std::size_t ldy, std::size_t n0, std::size_t n1) {
  constexpr std::size_t NR = V::bf16_tile_rows;
  std::size_t n = n0;
  for (; n + NR <= n1; n += NR) bf16_tile<V, TB, NR>(x, K, w, bias, y, ldy, n);
  if (n < n1) bf16_rows<V, TB>(x, K, w, bias, y, ldy, n, n1);
}

template <class V, std::size_t TB>
void bf16_tile_block(std::size_t tb, const float* x, std::size_t K, const uint16_t* w, const uint16_t* bias,
                     float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  if constexpr (TB > 1) {
    if (tb < TB) return bf16_tile_block<V, TB - 1>(tb, x, K, w, bias, y, ldy, n0, n1);
  }
  bf16_tiles<V, TB>(x, K, w, bias, y, ldy, n0, n1);
}

// A tile of NB MXFP4 weight rows against TB tokens, columns [k0, k1); adds to y unless k0 == 0
// (then adds the bias instead).
// One accumulator per (token, row) pair leaves the registers for a tile of 2 rows x 8 tokens;
// one token gets 4 rows, so there are always at least four independent FMA chains. A token's
// sum is taken in the same order whatever the tile, so a sequence's logits do not depend on
// what else runs in its batch.
template <class V, std::size_t TB, std::size_t NB>
void mxfp4_tile(const float* xp, std::size_t K, std::size_t k0, std::size_t k1, const uint8_t* blocks,
                const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy, std::size_t n) {
  constexpr std::size_t W = V::width;
  constexpr std::size_t R = 32 / W;  // registers per decoded group
  // Scales are widened a run of groups at a time, in a loop the compiler vectorises: widening
  // one per group (compare, shift, move to a vector register) costs as much as its decode.
  constexpr std::size_t kRun = 16;
  const std::size_t groups = K / 32, g_end = k1 / 32;
  typename V::reg acc[TB][NB];
  for (std::size_t i = 0; i < TB; ++i)
    for (std::size_t j = 0; j < NB; ++j) acc[i][j] = V::zero();
  for (std::size_t g0 = k0 / 32; g0 < g_end; g0 += kRun) {
    const std::size_t gn = g_end - g0 < kRun ? g_end - g0 : kRun;
    alignas(64) float sc[NB][kRun];
    for (std::size_t j = 0; j < NB; ++j)
      for (std::size_t q = 0; q < kRun; ++q) sc[j][q] = simd_scale_value(scales[(n + j) * groups + g0 + (q < gn ? q : 0)]);
    for (std::size_t q = 0; q < gn; ++q) {
      const float* xg = xp + (g0 + q) * 32;
      for (std::size_t j = 0; j < NB; ++j) {
        typename V::reg wv[R];
        V::decode_group(blocks + ((n + j) * groups + g0 + q) * 16, sc[j][q], wv);
        for (std::size_t i = 0; i < TB; ++i)
          for (std::size_t r = 0; r < R; ++r) acc[i][j] = V::fma(wv[r], V::loadu(xg + i * K + r * W), acc[i][j]);
      }
    }
  }
  for (std::size_t j = 0; j < NB; ++j) {
    const float b = bias ? simd_bf16(bias[n + j]) : 0.0f;
    for (std::size_t i = 0; i < TB; ++i) {
      const float s = V::reduce(acc[i][j]);
      float& out = y[i * ldy + n + j];
      out = k0 == 0 ? s + b : out + s;
    }
  }
}

// Rows [n0, n1) in tiles of V::row_tile<TB> rows, the remainder one row at a time.
template <class V, std::size_t TB>
void mxfp4_rows(const float* xp, std::size_t K, std::size_t k0, std::size_t k1, const uint8_t* blocks,
                const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy,
                std::size_t n0, std::size_t n1) {
  constexpr std::size_t NB = V::template row_tile<TB>;
  std::size_t n = n0;
  for (; n + NB <= n1; n += NB) mxfp4_tile<V, TB, NB>(xp, K, k0, k1, blocks, scales, bias, y, ldy, n);
  if constexpr (NB > 1) {
    for (; n < n1; ++n) mxfp4_tile<V, TB, 1>(xp, K, k0, k1, blocks, scales, bias, y, ldy, n);
  }
}

template <class V, std::size_t TB>
void mxfp4_block(std::size_t tb, const float* xp, std::size_t K, std::size_t k0, std::size_t k1,
                 const uint8_t* blocks, const uint8_t* scales, const uint16_t* bias, float* y,
                 std::size_t ldy, std::size_t n0, std::size_t n1) {
  if constexpr (TB > 1) {
    if (tb < TB) return mxfp4_block<V, TB - 1>(tb, xp, K, k0, k1, blocks, scales, bias, y, ldy, n0, n1);
  }
  mxfp4_rows<V, TB>(xp, K, k0, k1, blocks, scales, bias, y, ldy, n0, n1);
}

template <class V>
void matmul_bf16_impl(const float* x, std::size_t T, std::size_t K, const uint16_t* w,
                      const uint16_t* bias, float* y, std::size_t ldy, std::size_t n0,
                      std::size_t n1) {
  // Rows stream whole, sequentially: splitting the contraction into column chunks (to keep x
  // in L1) measured 3x slower here, the strided weight reads costing more than it saved.
  // With more tokens than one block, rows go a block at a time and every token block passes
  // over it while it sits in L2, rather than the whole weight coming from memory once per
  // max_tokens tokens. Each (token, row) sum is the same either way.
  if (T == 1) return bf16_rows<V, 1>(x, K, w, bias, y, ldy, n0, n1);
  constexpr std::size_t TT = V::bf16_tile_tokens;
  const std::size_t rb = T <= TT ? n1 - n0 : kBf16RowBlock;
  for (std::size_t r0 = n0; r0 < n1; r0 += rb) {
    const std::size_t r1 = n1 - r0 < rb ? n1 : r0 + rb;
    for (std::size_t t0 = 0; t0 < T; t0 += TT) {
      const std::size_t tb = T - t0 < TT ? T - t0 : TT;
      bf16_tile_block<V, TT>(tb, x + t0 * K, K, w, bias, y + t0 * ldy, ldy, r0, r1);
    }
  }
}

template <class V>
void matmul_mxfp4_impl(const float* x, std::size_t T, std::size_t K, const uint8_t* blocks,
                       const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy,
                       std::size_t n0, std::size_t n1) {
  constexpr std::size_t W = V::width;
  // Evens then odds within each 2*W chunk, matching decode_group's register order.
  float* xp = static_cast<float*>(std::malloc(T * K * sizeof(float)));
  if (!xp) std::abort();
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t c = 0; c < K; c += 2 * W) {
      for (std::size_t i = 0; i < W; ++i) {
        xp[t * K + c + i] = x[t * K + c + 2 * i];
        xp[t * K + c + W + i] = x[t * K + c + 2 * i + 1];
      }
    }
  }
  for (std::size_t t0 = 0; t0 < T; t0 += V::max_tokens) {
    const std::size_t tb = T - t0 < V::max_tokens ? T - t0 : V::max_tokens;
    mxfp4_block<V, V::max_tokens>(tb, xp + t0 * K, K, 0, K, blocks, scales, bias, y + t0 * ldy, ldy, n0, n1);
  }
  std::free(xp);
}

template <class V>
float dot_f32_impl(const float* a, const float* b, std::size_t n) {
  constexpr std::size_t W = V::width;
  typename V::reg s0 = V::zero(), s1 = V::zero();
  std::size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    s0 = V::fma(V::loadu(a + i), V::loadu(b + i), s0);
    s1 = V::fma(V::loadu(a + i + W), V::loadu(b + i + W), s1);
  }
  float s = V::reduce(V::add(s0, s1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

template <class V>
void axpy_f32_impl(float alpha, const float* x, float* y, std::size_t n) {
  constexpr std::size_t W = V::width;
  typename V::reg va = V::set1(alpha);
  std::size_t i = 0;
  for (; i + W <= n; i += W) V::storeu(y + i, V::fma(va, V::loadu(x + i), V::loadu(y + i)));
  for (; i < n; ++i) y[i] += alpha * x[i];
}
