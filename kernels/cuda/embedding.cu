// One thread block per token row.
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/embedding.cuh"

namespace ossa::kernels::cuda {
namespace {
__global__ void embedding_kernel(const std::uint16_t* table, const std::int32_t* tokens, std::size_t T, std::size_t H,
                                 float* x) {
  for (std::size_t t = blockIdx.x; t < T; t += gridDim.x) {
    const std::uint16_t* row = table + static_cast<std::size_t>(tokens[t]) * H;
    for (std::size_t h = threadIdx.x; h < H; h += blockDim.x) x[t * H + h] = bf16_to_f32(row[h]);
  }
}
}  // namespace

void embedding(const std::uint16_t* table, const std::int32_t* tokens, std::size_t T, std::size_t H, float* x,
               cudaStream_t stream) {
  if (T == 0) return;
  embedding_kernel<<<grid_y(T), 256, 0, stream>>>(table, tokens, T, H, x);
  check_launch("embedding");
}
}  // namespace ossa::kernels::cuda
