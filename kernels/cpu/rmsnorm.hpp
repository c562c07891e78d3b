#pragma once
// RMSNorm (gpt_oss/torch/model.py RMSNorm): for each of T rows of H floats,
//   y = x / sqrt(mean(x^2) + eps) * gain        (gain: H bf16 values)
// y may alias x.
#include <cstddef>
#include <cstdint>

#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {
OSSA_KERNEL_VARIANTS(void rmsnorm(const float* x, std::size_t T, std::size_t H, const std::uint16_t* gain,
                                  float eps, float* y))
}  // namespace ossa::kernels
