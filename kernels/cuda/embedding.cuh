#pragma once
// Embedding lookup on the device: x[t] = widen(table[tokens[t]]) for T tokens, H bf16 per row.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace ossa::kernels::cuda {
void embedding(const std::uint16_t* table, const std::int32_t* tokens, std::size_t T, std::size_t H, float* x,
               cudaStream_t stream);
}  // namespace ossa::kernels::cuda
