// Scalar reference and the dispatcher.
#include "kernels/cpu/swiglu.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/isa.hpp"

namespace ossa::kernels {

void scalar::swiglu(const float* h, std::size_t T, std::size_t I, float alpha, float limit, float* out) {
  for (std::size_t r = 0; r < T; ++r) {
    for (std::size_t j = 0; j < I; ++j) {
      const float g = std::min(h[r * 2 * I + 2 * j], limit);
      const float l = std::clamp(h[r * 2 * I + 2 * j + 1], -limit, limit);
      out[r * I + j] = g / (1.0f + std::exp(-alpha * g)) * (l + 1.0f);
    }
  }
}

void swiglu(const float* h, std::size_t T, std::size_t I, float alpha, float limit, float* out) {
  OSSA_KERNEL_DISPATCH(swiglu, h, T, I, alpha, limit, out);
}

}  // namespace ossa::kernels
