#pragma once
// Products with MXFP4 expert weights (kernels/cpu/mxfp4.hpp layout, stacked [E, N, K/32, 16]
// blocks, [E, N, K/32] scales, [E, N] bf16 biases) on the device, over routed rows: output row
// p (of `rows`) uses expert expert[p] (expert 0 when expert is null) and input row p / x_div.
// With x_div = experts_per_token the input is the token's row for each of its routes (the
// first expert product); with x_div = 1 each route has its own input row (the second).
//   y[p*N + n] = bias_e[n] + sum_k x[(p/x_div)*K + k] * W_e[n][k]
// K must be a multiple of 32. Every pointer is device memory.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace ossa::kernels::cuda {
void matmul_mxfp4(const float* x, std::size_t rows, std::size_t x_div, std::size_t K, const std::uint8_t* blocks,
                  const std::uint8_t* scales, const std::uint16_t* bias, const std::int32_t* expert, float* y,
                  std::size_t N, cudaStream_t stream);
}  // namespace ossa::kernels::cuda
