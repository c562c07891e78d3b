#pragma once
// Top-k expert routing (gpt_oss/torch/model.py MLPBlock): for each of T rows of E router
// logits, the K largest in descending order (ties go to the lower expert index; the reference
// leaves ties open) and the softmax of those K logits.
#include <cstddef>
#include <cstdint>

#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {
OSSA_KERNEL_VARIANTS(void topk_softmax(const float* logits, std::size_t T, std::size_t E, std::size_t K,
                                       std::int32_t* idx, float* weight))
}  // namespace ossa::kernels
