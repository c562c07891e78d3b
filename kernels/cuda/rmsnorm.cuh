#pragma once
// RMSNorm on the device; the same op as kernels/cpu/rmsnorm.hpp (y may alias x). All pointers
// are device memory; the launch is queued on `stream`.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace ossa::kernels::cuda {
void rmsnorm(const float* x, std::size_t T, std::size_t H, const std::uint16_t* gain, float eps, float* y,
             cudaStream_t stream);
}  // namespace ossa::kernels::cuda
