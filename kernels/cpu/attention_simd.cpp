// Vector dot products for the scores, a vector exp for the softmax and vector
// multiply-adds for the weighted sum of values.
//
// Scores are taken `width` keys at a time: one accumulator per key, then one transposing
// reduction turns the width accumulators into the width scores (about 3 shuffles and adds per
// key instead of a full horizontal sum each). The output row stays in registers across the keys
// (loading and storing it per key made a store-to-load chain of every key). Which keys go
// through the blocked path depends only on the row's own span of keys, so a row's result does
// not depend on the other rows of its step.
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
template <std::size_t R>
void weighted_values(const float* w, const KvView& kv, std::size_t off, std::size_t d, std::size_t lo, std::size_t n,
                     float* o) {
  constexpr std::size_t W = V::width;
  const std::size_t B = kv.block_tokens;
  if constexpr (R > 0) {
    V::reg acc[R];
    for (std::size_t r = 0; r < R; ++r) acc[r] = V::zero();
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t key = lo + i;
      const float* v = kv.blocks[key / B] + (B + key % B) * kv.row + off;
      const V::reg wi = V::set1(w[i]);
      for (std::size_t r = 0; r < R; ++r) acc[r] = V::fma(wi, V::loadu(v + r * W), acc[r]);
    }
    for (std::size_t r = 0; r < R; ++r) V::storeu(o + r * W, acc[r]);
  } else {
    for (std::size_t c = 0; c < d; ++c) o[c] = 0.0f;
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

template <std::size_t R>
void attend(const float* qv, const KvView& kv, std::size_t off, std::size_t d, std::size_t lo, std::size_t n,
            float scale, float sink, float* scores, float* o) {
  constexpr std::size_t W = V::width;
  const float mx = scores_of<R>(qv, kv, off, d, lo, n, scale, sink, scores);
  // exp(a - mx) over the scores, W at a time.
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
  weighted_values<R>(scores, kv, off, d, lo, n, o);
}
}  // namespace

void attention(const float* q, const std::size_t* pos, std::size_t /*rows*/, const KvView& kv,
               const AttentionShape& s, float* out, std::size_t item0, std::size_t item1) {
  constexpr std::size_t W = V::width;
  const std::size_t d = s.head_dim, group = s.heads / s.kv_heads;
  std::size_t cap = 0;
  float* scores = nullptr;
  for (std::size_t item = item0; item < item1; ++item) {
    const std::size_t r = item / s.heads, h = item % s.heads, kvh = h / group;
    const std::size_t p = pos[r];
    const std::size_t lo = s.window && p + 1 > s.window ? p + 1 - s.window : 0;
    const std::size_t n = p + 1 - lo;
    if (n + W > cap) {
      free(scores);
      cap = (n + W) * 2;
      scores = static_cast<float*>(malloc(cap * sizeof(float)));
      if (!scores) abort();
    }
    const float* qv = q + item * d;
    float* o = out + item * d;
    const std::size_t off = kvh * d;
    switch (d % W == 0 ? d / W : 0) {
      case 1: attend<1>(qv, kv, off, d, lo, n, s.scale, s.sinks[h], scores, o); break;
      case 2: attend<2>(qv, kv, off, d, lo, n, s.scale, s.sinks[h], scores, o); break;
      case 4: attend<4>(qv, kv, off, d, lo, n, s.scale, s.sinks[h], scores, o); break;
      case 8: attend<8>(qv, kv, off, d, lo, n, s.scale, s.sinks[h], scores, o); break;
      default: attend<0>(qv, kv, off, d, lo, n, s.scale, s.sinks[h], scores, o); break;
    }
  }
  free(scores);
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
