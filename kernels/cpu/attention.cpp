// Scalar reference and the dispatcher.
#include "kernels/cpu/attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/isa.hpp"

namespace ossa::kernels {

void scalar::attention(const float* q, const std::size_t* pos, std::size_t /*rows*/, const KvView& kv,
                       const AttentionShape& s, float* out, std::size_t item0, std::size_t item1) {
  const std::size_t d = s.head_dim, group = s.heads / s.kv_heads, B = kv.block_tokens;
  std::vector<float> scores;
  for (std::size_t item = item0; item < item1; ++item) {
    const std::size_t r = item / s.heads, h = item % s.heads, kvh = h / group;
    const std::size_t p = pos[r];
    const std::size_t lo = s.window && p + 1 > s.window ? p + 1 - s.window : 0;
    const float* qv = q + item * d;
    scores.resize(p + 1 - lo);
    float mx = s.sinks[h];
    for (std::size_t j = lo; j <= p; ++j) {
      const float* k = kv.blocks[j / B] + (j % B) * kv.row + kvh * d;
      double dot = 0.0;
      for (std::size_t i = 0; i < d; ++i) dot += static_cast<double>(qv[i]) * k[i];
      const float a = static_cast<float>(dot) * s.scale;
      scores[j - lo] = a;
      mx = std::max(mx, a);
    }
    float denom = std::exp(s.sinks[h] - mx);
    for (float& a : scores) {
      a = std::exp(a - mx);
      denom += a;
    }
    float* o = out + item * d;
    std::fill_n(o, d, 0.0f);
    for (std::size_t j = lo; j <= p; ++j) {
      const float* v = kv.blocks[j / B] + (B + j % B) * kv.row + kvh * d;
      const float w = scores[j - lo] / denom;
      for (std::size_t i = 0; i < d; ++i) o[i] += w * v[i];
    }
  }
}

void attention(const float* q, const std::size_t* pos, std::size_t rows, const KvView& kv, const AttentionShape& s,
               float* out, std::size_t item0, std::size_t item1) {
  OSSA_KERNEL_DISPATCH(attention, q, pos, rows, kv, s, out, item0, item1);
}

}  // namespace ossa::kernels
