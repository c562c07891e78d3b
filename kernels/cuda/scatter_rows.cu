// One thread block per row.
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/scatter_rows.cuh"

namespace ossa::kernels::cuda {
namespace {
__global__ void scatter_kernel(const float* src, std::size_t T, std::size_t row, float* const* dst) {
  for (std::size_t t = blockIdx.x; t < T; t += gridDim.x) {
    float* d = dst[t];
    for (std::size_t i = threadIdx.x; i < row; i += blockDim.x) d[i] = src[t * row + i];
  }
}
}  // namespace

void scatter_rows(const float* src, std::size_t T, std::size_t row, float* const* dst, cudaStream_t stream) {
  if (T == 0) return;
  scatter_kernel<<<grid_y(T), 128, 0, stream>>>(src, T, row, dst);
  check_launch("scatter_rows");
}
}  // namespace ossa::kernels::cuda
