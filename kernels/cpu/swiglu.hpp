#pragma once
// Clamped SwiGLU (gpt_oss/torch/model.py swiglu): h holds T rows of 2*I floats with the gate
// and linear halves interleaved (h[2j] = glu, h[2j+1] = linear); for each j < I
//   glu = min(glu, limit);  lin = clamp(lin, -limit, limit)
//   out = glu * sigmoid(alpha * glu) * (lin + 1)
#include <cstddef>

#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {
OSSA_KERNEL_VARIANTS(void swiglu(const float* h, std::size_t T, std::size_t I, float alpha, float limit,
                                 float* out))
}  // namespace ossa::kernels
