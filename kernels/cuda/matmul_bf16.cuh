#pragma once
// y = x W^T + b with bf16 weights, on the device; kernels/cpu/matmul.hpp's matmul_bf16 over all
// N output columns: x is T rows of K floats, W is N x K bf16 (row-major), bias N bf16 or null,
// y has row stride ldy.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace ossa::kernels::cuda {
void matmul_bf16(const float* x, std::size_t T, std::size_t K, const std::uint16_t* w, const std::uint16_t* bias,
                 float* y, std::size_t ldy, std::size_t N, cudaStream_t stream);
}  // namespace ossa::kernels::cuda
