#pragma once
// Residual connections on the device. residual_add is kernels/cpu/residual.hpp's op (x += y);
// moe_combine is the end of the MLP block in one pass: for each of T rows,
//   x[t] += sum_k weight[t*K + k] * y[t*K + k]       (y: T*K rows of H floats, one per route)
// which the CPU engine does as axpy_f32 per routed row followed by residual_add.
#include <cuda_runtime_api.h>

#include <cstddef>

namespace ossa::kernels::cuda {
void residual_add(float* x, const float* y, std::size_t n, cudaStream_t stream);
void moe_combine(float* x, const float* y, const float* weight, std::size_t T, std::size_t K, std::size_t H,
                 cudaStream_t stream);
}  // namespace ossa::kernels::cuda
