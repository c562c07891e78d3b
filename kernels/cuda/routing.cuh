#pragma once
// Top-k expert routing on the device; the same op as kernels/cpu/routing.hpp (descending, ties
// to the lower expert index, softmax over the chosen K). K at most 32.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace ossa::kernels::cuda {
inline constexpr std::size_t kRoutingMaxK = 32;
void topk_softmax(const float* logits, std::size_t T, std::size_t E, std::size_t K, std::int32_t* idx, float* weight,
                  cudaStream_t stream);
}  // namespace ossa::kernels::cuda
