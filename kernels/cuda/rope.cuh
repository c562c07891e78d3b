#pragma once
// RoPE on the device; the same op as kernels/cpu/rope.hpp (NeoX halves; inv_freq and the
// concentration are the YaRN table the engine computes on the host and uploads). pos and
// inv_freq are device memory.
#include <cuda_runtime_api.h>

#include <cstddef>

namespace ossa::kernels::cuda {
void rope(float* x, std::size_t T, std::size_t heads, std::size_t d, const std::size_t* pos, const float* inv_freq,
          float concentration, cudaStream_t stream);
}  // namespace ossa::kernels::cuda
