// Vector dot products for the scores, a vector exp for the softmax and vector
// multiply-adds for the weighted sum of values.
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
}  // namespace

void attention(const float* q, const std::size_t* pos, std::size_t /*rows*/, const KvView& kv,
               const AttentionShape& s, float* out, std::size_t item0, std::size_t item1) {
  constexpr std::size_t W = V::width;
  const std::size_t d = s.head_dim, group = s.heads / s.kv_heads, B = kv.block_tokens;
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
    float mx = s.sinks[h];
    for (std::size_t j = lo; j <= p; ++j) {
      const float a = dot(qv, kv.blocks[j / B] + (j % B) * kv.row + kvh * d, d) * s.scale;
      scores[j - lo] = a;
      mx = a > mx ? a : mx;
    }
    // exp(a - mx) over the scores, W at a time; lanes past n are computed and ignored.
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
      tmp[0] = s.sinks[h] - mx;
      V::storeu(tmp, V::exp(V::loadu(tmp)));
      denom += tmp[0];
    }
    const float inv = 1.0f / denom;
    float* o = out + item * d;
    for (std::size_t c = 0; c < d; ++c) o[c] = 0.0f;
    for (std::size_t j = lo; j <= p; ++j) {
      const float* v = kv.blocks[j / B] + (B + j % B) * kv.row + kvh * d;
      const V::reg w = V::set1(scores[j - lo] * inv);
      std::size_t c = 0;
      for (; c + W <= d; c += W) V::storeu(o + c, V::fma(w, V::loadu(v + c), V::loadu(o + c)));
      for (; c < d; ++c) o[c] += scores[j - lo] * inv * v[c];
    }
  }
  free(scores);
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
