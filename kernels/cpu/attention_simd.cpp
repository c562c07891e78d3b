// Vector dot products for the scores, a vector exp for the softmax and vector
// multiply-adds for the weighted sum of values.
//
// Scores are taken `width` keys at a time: one accumulator per key, then one transposing
// reduction turns the width accumulators into the width scores (about 3 shuffles and adds per
// key instead of a full horizontal sum each). The output row stays in registers across the keys
// (loading and storing it per key made a store-to-load chain of every key). Which keys go
// through the blocked path depends only on the row's own span of keys, so a row's result does
// not depend on the other rows of its step.
//
// The query heads that share a key/value head (8 of gpt-oss's 64) take the keys together, a
// chunk of kChunkKeys at a time: each head's scores over the chunk, then the next chunk, so the
// chunk's keys are read from memory once and from L2 by the other heads; the values likewise.
// Taken one head at a time over all keys, a 2,000-token context streamed 1 MB of keys and
// values per head, more than L2 holds. Every score and every weighted sum is taken in the same
// order as one head over all keys (chunks are whole multiples of the width, and the sums carry
// across chunks), so the result is the same bit for bit.
#include <stdlib.h>

#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {
namespace {
float dot(const float* a, const float* b, std::size_t n) {
  constexpr std::size_t W = V::width;
  V::reg s0 = V::zero(), s1 = V::zero();
  std::size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    s0 = V::fma(V::loadu(a + i), V::loadu(b + i), s0);
    s1 = V::fma(V::loadu(a + i + W), V::loadu(b + i + W), s1);
  }
  float s = V::reduce(V::add(s0, s1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

#if defined(OSSA_SIMD_AVX512)
// Lane j of the result is the sum of a[j]'s 16 lanes.
__m512 transpose_sum(const __m512* a) {
  __m512 p[8], q[4];
  for (int i = 0; i < 8; ++i)
    p[i] = _mm512_add_ps(_mm512_shuffle_ps(a[2 * i], a[2 * i + 1], 0x88), _mm512_shuffle_ps(a[2 * i], a[2 * i + 1], 0xDD));
  for (int i = 0; i < 4; ++i)
    q[i] = _mm512_add_ps(_mm512_shuffle_ps(p[2 * i], p[2 * i + 1], 0x88), _mm512_shuffle_ps(p[2 * i], p[2 * i + 1], 0xDD));
  const __m512 u01 = _mm512_add_ps(_mm512_shuffle_f32x4(q[0], q[1], 0x44), _mm512_shuffle_f32x4(q[0], q[1], 0xEE));
  const __m512 u23 = _mm512_add_ps(_mm512_shuffle_f32x4(q[2], q[3], 0x44), _mm512_shuffle_f32x4(q[2], q[3], 0xEE));
  return _mm512_add_ps(_mm512_shuffle_f32x4(u01, u23, 0x88), _mm512_shuffle_f32x4(u01, u23, 0xDD));
}
#else
// Lane j of the result is the sum of a[j]'s 8 lanes.
__m256 transpose_sum(const __m256* a) {
  const __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
  const __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
}
#endif

// scores[i] = q . key(lo + i) * scale for i < n; returns the largest (at least `floor`).
// R = head_dim / width registers hold q (0: any head_dim, one key at a time).
template <std::size_t R>
float scores_of(const float* qv, const KvView& kv, std::size_t off, std::size_t d, std::size_t lo, std::size_t n,
                float scale, float floor, float* scores) {
  constexpr std::size_t W = V::width;
  const std::size_t B = kv.block_tokens;
  float mx = floor;
  std::size_t i = 0;
  if constexpr (R > 0) {
    V::reg q[R];
    for (std::size_t r = 0; r < R; ++r) q[r] = V::loadu(qv + r * W);
    V::reg vmx = V::set1(floor);
    const V::reg vs = V::set1(scale);
    for (; i + W <= n; i += W) {
      V::reg acc[W];
      for (std::size_t j = 0; j < W; ++j) {
        const std::size_t key = lo + i + j;
        const float* k = kv.blocks[key / B] + (key % B) * kv.row + off;
        acc[j] = V::mul(q[0], V::loadu(k));
        for (std::size_t r = 1; r < R; ++r) acc[j] = V::fma(q[r], V::loadu(k + r * W), acc[j]);
      }
      const V::reg sc = V::mul(transpose_sum(acc), vs);
      V::storeu(scores + i, sc);
      vmx = V::max(vmx, sc);
    }
    mx = V::reduce_max(vmx);
  }
  for (; i < n; ++i) {
    const std::size_t key = lo + i;
    const float a = dot(qv, kv.blocks[key / B] + (key % B) * kv.row + off, d) * scale;
    scores[i] = a;
    mx = a > mx ? a : mx;
  }
  return mx;
}

// o = sum_i w[i] * value(lo + i), o kept in R registers (R = head_dim / width; 0: in memory).
// With `carry` the sum continues from o (the previous chunk's keys) instead of from zero.
template <std::size_t R>
void weighted_values(const float* w, const KvView& kv, std::size_t off, std::size_t d, std::size_t lo, std::size_t n,
                     bool carry, float* o) {
  constexpr std::size_t W = V::width;
  const std::size_t B = kv.block_tokens;
  if constexpr (R > 0) {
    V::reg acc[R];
    for (std::size_t r = 0; r < R; ++r) acc[r] = carry ? V::loadu(o + r * W) : V::zero();
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t key = lo + i;
      const float* v = kv.blocks[key / B] + (B + key % B) * kv.row + off;
      const V::reg wi = V::set1(w[i]);
      for (std::size_t r = 0; r < R; ++r) acc[r] = V::fma(wi, V::loadu(v + r * W), acc[r]);
    }
    for (std::size_t r = 0; r < R; ++r) V::storeu(o + r * W, acc[r]);
  } else {
    if (!carry) {
      for (std::size_t c = 0; c < d; ++c) o[c] = 0.0f;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t key = lo + i;
      const float* v = kv.blocks[key / B] + (B + key % B) * kv.row + off;
      const V::reg wi = V::set1(w[i]);
      std::size_t c = 0;
      for (; c + W <= d; c += W) V::storeu(o + c, V::fma(wi, V::loadu(v + c), V::loadu(o + c)));
      for (; c < d; ++c) o[c] += w[i] * v[c];
    }
  }
}

// scores[0, n) = softmax([scores, sink]) without the sink's entry, given their largest value
// (at least the sink).
void softmax_with_sink(float* scores, std::size_t n, float mx, float sink) {
  constexpr std::size_t W = V::width;
  const V::reg vmx = V::set1(mx);
  V::reg vsum = V::zero();
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    const V::reg e = V::exp(V::sub(V::loadu(scores + i), vmx));
    V::storeu(scores + i, e);
    vsum = V::add(vsum, e);
  }
  float denom = V::reduce(vsum);
  for (; i < n; ++i) {
    alignas(64) float tmp[V::width] = {};
    tmp[0] = scores[i] - mx;
    V::storeu(tmp, V::exp(V::loadu(tmp)));
    scores[i] = tmp[0];
    denom += tmp[0];
  }
  {
    alignas(64) float tmp[V::width] = {};
    tmp[0] = sink - mx;
    V::storeu(tmp, V::exp(V::loadu(tmp)));
    denom += tmp[0];
  }
  const V::reg inv = V::set1(1.0f / denom);
  i = 0;
  for (; i + W <= n; i += W) V::storeu(scores + i, V::mul(V::loadu(scores + i), inv));
  for (; i < n; ++i) scores[i] *= 1.0f / denom;
}

// Keys per chunk that the heads of a group share while it sits in L2 (512 keys of 64 floats:
// 128 KiB of keys, then as much of values). A multiple of every width.
constexpr std::size_t kChunkKeys = 512;

// Heads [h0, h1) of query row `qrow` (all on key/value head offset `off`, keys [lo, lo + n)):
// out rows o + (h - h0) * d. `scores` holds (h1 - h0) * stride floats.
template <std::size_t R>
void attend_heads(const float* qrow, const KvView& kv, std::size_t off, std::size_t d, std::size_t lo, std::size_t n,
                  const AttentionShape& s, std::size_t h0, std::size_t h1, std::size_t stride, float* scores,
                  float* o) {
  const std::size_t G = h1 - h0;
  float mx[64];  // at most 64 heads share a key/value head here (the caller splits larger groups)
  for (std::size_t g = 0; g < G; ++g) mx[g] = s.sinks[h0 + g];
  for (std::size_t c = 0; c < n; c += kChunkKeys) {
    const std::size_t m = n - c < kChunkKeys ? n - c : kChunkKeys;
    for (std::size_t g = 0; g < G; ++g)
      mx[g] = scores_of<R>(qrow + (h0 + g) * d, kv, off, d, lo + c, m, s.scale, mx[g], scores + g * stride + c);
  }
  for (std::size_t g = 0; g < G; ++g) softmax_with_sink(scores + g * stride, n, mx[g], s.sinks[h0 + g]);
  for (std::size_t c = 0; c < n; c += kChunkKeys) {
    const std::size_t m = n - c < kChunkKeys ? n - c : kChunkKeys;
    for (std::size_t g = 0; g < G; ++g) weighted_values<R>(scores + g * stride + c, kv, off, d, lo + c, m, c > 0, o + g * d);
  }
}
}  // namespace

void attention(const float* q, const std::size_t* pos, std::size_t /*rows*/, const KvView& kv,
               const AttentionShape& s, float* out, std::size_t item0, std::size_t item1) {
  constexpr std::size_t W = V::width;
  const std::size_t d = s.head_dim, group = s.heads / s.kv_heads;
  std::size_t cap = 0;
  float* scores = nullptr;
  for (std::size_t item = item0; item < item1;) {
    const std::size_t r = item / s.heads, h = item % s.heads, kvh = h / group;
    // The heads from h to the end of its group, or of the range, or 64 of them.
    std::size_t h1 = (kvh + 1) * group;
    if (h1 - h > item1 - item) h1 = h + (item1 - item);
    if (h1 - h > 64) h1 = h + 64;
    const std::size_t p = pos[r];
    const std::size_t lo = s.window && p + 1 > s.window ? p + 1 - s.window : 0;
    const std::size_t n = p + 1 - lo, stride = n + W;
    if ((h1 - h) * stride > cap) {
      free(scores);
      cap = (h1 - h) * stride * 2;
      scores = static_cast<float*>(malloc(cap * sizeof(float)));
      if (!scores) abort();
    }
    const float* qrow = q + r * s.heads * d;
    float* o = out + item * d;
    const std::size_t off = kvh * d;
    switch (d % W == 0 ? d / W : 0) {
      case 1: attend_heads<1>(qrow, kv, off, d, lo, n, s, h, h1, stride, scores, o); break;
      case 2: attend_heads<2>(qrow, kv, off, d, lo, n, s, h, h1, stride, scores, o); break;
      case 4: attend_heads<4>(qrow, kv, off, d, lo, n, s, h, h1, stride, scores, o); break;
      case 8: attend_heads<8>(qrow, kv, off, d, lo, n, s, h, h1, stride, scores, o); break;
      default: attend_heads<0>(qrow, kv, off, d, lo, n, s, h, h1, stride, scores, o); break;
    }
    item += h1 - h;
  }
  free(scores);
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
