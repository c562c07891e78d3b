#pragma once
// Rotary position embedding as the reference applies it (gpt_oss/torch/model.py
// _apply_rotary_emb, NeoX style): each head of d floats is split into halves x1 = [0, d/2),
// x2 = [d/2, d); with angle_i = pos * inv_freq[i], c = cos(angle_i) * concentration and
// s = sin(angle_i) * concentration,
//   x1' = x1 c - x2 s,   x2' = x2 c + x1 s.
// x holds T rows of `heads` heads; row t is at position pos[t]. inv_freq (d/2 floats) and
// concentration carry YaRN's scaling (the engine computes them from the config).
#include <cstddef>

#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {
OSSA_KERNEL_VARIANTS(void rope(float* x, std::size_t T, std::size_t heads, std::size_t d, const std::size_t* pos,
                               const float* inv_freq, float concentration))
}  // namespace ossa::kernels
