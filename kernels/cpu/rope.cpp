// Scalar reference and the dispatcher.
#include "kernels/cpu/rope.hpp"

#include <cmath>
#include <vector>

#include "kernels/cpu/isa.hpp"

namespace ossa::kernels {

void scalar::rope(float* x, std::size_t T, std::size_t heads, std::size_t d, const std::size_t* pos,
                  const float* inv_freq, float concentration) {
  const std::size_t half = d / 2;
  std::vector<float> cs(half), sn(half);
  for (std::size_t t = 0; t < T; ++t) {
    const float p = static_cast<float>(pos[t]);
    for (std::size_t i = 0; i < half; ++i) {
      const float angle = p * inv_freq[i];
      cs[i] = std::cos(angle) * concentration;
      sn[i] = std::sin(angle) * concentration;
    }
    for (std::size_t h = 0; h < heads; ++h) {
      float* v = x + (t * heads + h) * d;
      for (std::size_t i = 0; i < half; ++i) {
        const float x1 = v[i], x2 = v[half + i];
        v[i] = x1 * cs[i] - x2 * sn[i];
        v[half + i] = x2 * cs[i] + x1 * sn[i];
      }
    }
  }
}

void rope(float* x, std::size_t T, std::size_t heads, std::size_t d, const std::size_t* pos,
          const float* inv_freq, float concentration) {
  OSSA_KERNEL_DISPATCH(rope, x, T, heads, d, pos, inv_freq, concentration);
}

}  // namespace ossa::kernels
