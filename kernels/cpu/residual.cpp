// Scalar reference and the dispatcher.
#include "kernels/cpu/residual.hpp"

#include "kernels/cpu/isa.hpp"

namespace ossa::kernels {

void scalar::residual_add(float* x, const float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) x[i] += y[i];
}

void residual_add(float* x, const float* y, std::size_t n) { OSSA_KERNEL_DISPATCH(residual_add, x, y, n); }

}  // namespace ossa::kernels
