#include "kernels/cpu/residual.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {

void residual_add(float* x, const float* y, std::size_t n) {
  std::size_t i = 0;
  for (; i + V::width <= n; i += V::width) V::storeu(x + i, V::add(V::loadu(x + i), V::loadu(y + i)));
  for (; i < n; ++i) x[i] += y[i];
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
