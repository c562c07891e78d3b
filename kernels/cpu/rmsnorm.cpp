// Scalar reference (sum of squares in double) and the dispatcher.
#include "kernels/cpu/rmsnorm.hpp"

#include <cmath>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"

namespace ossa::kernels {

void scalar::rmsnorm(const float* x, std::size_t T, std::size_t H, const std::uint16_t* gain, float eps,
                     float* y) {
  for (std::size_t t = 0; t < T; ++t) {
    const float* xr = x + t * H;
    double ss = 0.0;
    for (std::size_t h = 0; h < H; ++h) ss += static_cast<double>(xr[h]) * xr[h];
    const float r = 1.0f / std::sqrt(static_cast<float>(ss / static_cast<double>(H)) + eps);
    for (std::size_t h = 0; h < H; ++h) y[t * H + h] = xr[h] * r * bf16_to_f32(gain[h]);
  }
}

void rmsnorm(const float* x, std::size_t T, std::size_t H, const std::uint16_t* gain, float eps, float* y) {
  OSSA_KERNEL_DISPATCH(rmsnorm, x, T, H, gain, eps, y);
}

}  // namespace ossa::kernels
