// One thread block per row: a block-wide sum of squares, then the scaled row. A faster version
// would keep the row in registers between the two passes and fuse the norm into the product
// that follows it.
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/rmsnorm.cuh"

namespace ossa::kernels::cuda {
namespace {
__global__ void rmsnorm_kernel(const float* x, std::size_t T, std::size_t H, const std::uint16_t* gain, float eps,
                               float* y) {
  for (std::size_t r = blockIdx.x; r < T; r += gridDim.x) {
    const float* xr = x + r * H;
    float* yr = y + r * H;
    float ss = 0.0f;
    for (std::size_t i = threadIdx.x; i < H; i += blockDim.x) ss += xr[i] * xr[i];
    const float inv = rsqrtf(block_sum(ss) / static_cast<float>(H) + eps);
    // Each thread rewrites only the elements it read, after the sum: y may alias x.
    for (std::size_t i = threadIdx.x; i < H; i += blockDim.x) yr[i] = xr[i] * inv * bf16_to_f32(gain[i]);
  }
}
}  // namespace

void rmsnorm(const float* x, std::size_t T, std::size_t H, const std::uint16_t* gain, float eps, float* y,
             cudaStream_t stream) {
  if (T == 0) return;
  rmsnorm_kernel<<<grid_y(T), 256, 0, stream>>>(x, T, H, gain, eps, y);
  check_launch("rmsnorm");
}
}  // namespace ossa::kernels::cuda
