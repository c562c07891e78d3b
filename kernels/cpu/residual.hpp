#pragma once
// Residual connection: x[i] += y[i] for n floats (x = x + block(x) in the reference).
#include <cstddef>

#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {
OSSA_KERNEL_VARIANTS(void residual_add(float* x, const float* y, std::size_t n))
}  // namespace ossa::kernels
