// The angles' cos/sin per row come from libm as in the reference (so both versions rotate by
// the same values); the rotation of every head is vectorised.
#include <math.h>
#include <stdlib.h>

#include "kernels/cpu/rope.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {

void rope(float* x, std::size_t T, std::size_t heads, std::size_t d, const std::size_t* pos,
          const float* inv_freq, float concentration) {
  constexpr std::size_t W = V::width;
  const std::size_t half = d / 2;
  float* cs = static_cast<float*>(malloc(2 * half * sizeof(float) + 1));
  if (!cs) abort();
  float* sn = cs + half;
  for (std::size_t t = 0; t < T; ++t) {
    const float p = static_cast<float>(pos[t]);
    for (std::size_t i = 0; i < half; ++i) {
      const float angle = p * inv_freq[i];
      cs[i] = cosf(angle) * concentration;
      sn[i] = sinf(angle) * concentration;
    }
    for (std::size_t h = 0; h < heads; ++h) {
      float* v = x + (t * heads + h) * d;
      std::size_t i = 0;
      for (; i + W <= half; i += W) {
        const V::reg x1 = V::loadu(v + i), x2 = V::loadu(v + half + i);
        const V::reg c = V::loadu(cs + i), s = V::loadu(sn + i);
        V::storeu(v + i, V::sub(V::mul(x1, c), V::mul(x2, s)));
        V::storeu(v + half + i, V::add(V::mul(x2, c), V::mul(x1, s)));
      }
      for (; i < half; ++i) {
        const float x1 = v[i], x2 = v[half + i];
        v[i] = x1 * cs[i] - x2 * sn[i];
        v[half + i] = x2 * cs[i] + x1 * sn[i];
      }
    }
  }
  free(cs);
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
