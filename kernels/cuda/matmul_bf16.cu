// GEMV-style: one warp per output row n (eight per block); the warp walks the weight row once
// per token, so for a few tokens (decode) the row comes from L1/L2 after the first. A faster
// version: vector loads (8 bf16 per lane), several tokens per pass, and for prefill a tiled
// tensor-core GEMM (mma.sync / wgmma on bf16 after converting x).
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/matmul_bf16.cuh"

namespace ossa::kernels::cuda {
namespace {
constexpr unsigned kRowsPerBlock = 8;

__global__ void matmul_bf16_kernel(const float* x, std::size_t T, std::size_t K, const std::uint16_t* w,
                                   const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t N) {
  const unsigned lane = threadIdx.x % 32;
  const std::size_t n = blockIdx.x * static_cast<std::size_t>(kRowsPerBlock) + threadIdx.x / 32;
  if (n >= N) return;
  const std::uint16_t* wr = w + n * K;
  const float b = bias ? bf16_to_f32(bias[n]) : 0.0f;
  for (std::size_t t = 0; t < T; ++t) {
    const float* xr = x + t * K;
    float s = 0.0f;
    for (std::size_t k = lane; k < K; k += 32) s += xr[k] * bf16_to_f32(wr[k]);
    s = warp_sum(s);
    if (lane == 0) y[t * ldy + n] = b + s;
  }
}
}  // namespace

void matmul_bf16(const float* x, std::size_t T, std::size_t K, const std::uint16_t* w, const std::uint16_t* bias,
                 float* y, std::size_t ldy, std::size_t N, cudaStream_t stream) {
  if (T == 0 || N == 0) return;
  matmul_bf16_kernel<<<blocks_for(N, kRowsPerBlock), kRowsPerBlock * 32, 0, stream>>>(x, T, K, w, bias, y, ldy, N);
  check_launch("matmul_bf16");
}
}  // namespace ossa::kernels::cuda
