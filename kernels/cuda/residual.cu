// One thread per element of x.
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/residual.cuh"

namespace ossa::kernels::cuda {
namespace {
__global__ void residual_kernel(float* x, const float* y, std::size_t n) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < n) x[i] += y[i];
}

__global__ void moe_combine_kernel(float* x, const float* y, const float* weight, std::size_t T, std::size_t K,
                                   std::size_t H) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= T * H) return;
  const std::size_t t = i / H, h = i % H;
  float s = 0.0f;
  for (std::size_t k = 0; k < K; ++k) s += weight[t * K + k] * y[(t * K + k) * H + h];
  x[i] += s;
}
}  // namespace

void residual_add(float* x, const float* y, std::size_t n, cudaStream_t stream) {
  if (n == 0) return;
  residual_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(x, y, n);
  check_launch("residual_add");
}

void moe_combine(float* x, const float* y, const float* weight, std::size_t T, std::size_t K, std::size_t H,
                 cudaStream_t stream) {
  if (T * H == 0) return;
  moe_combine_kernel<<<blocks_for(T * H, 256), 256, 0, stream>>>(x, y, weight, T, K, H);
  check_launch("moe_combine");
}
}  // namespace ossa::kernels::cuda
