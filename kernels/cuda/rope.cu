// One thread block per (row, head), one thread per rotated pair. cos/sin are the accurate
// functions (not __sinf): positions reach 128k, where the fast ones lose the angle. A faster
// version would compute each row's cos/sin once for all heads (or keep a position table).
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/rope.cuh"

namespace ossa::kernels::cuda {
namespace {
__global__ void rope_kernel(float* x, std::size_t items, std::size_t heads, std::size_t d, const std::size_t* pos,
                            const float* inv_freq, float concentration) {
  const std::size_t half = d / 2;
  for (std::size_t item = blockIdx.x; item < items; item += gridDim.x) {
    const float p = static_cast<float>(pos[item / heads]);
    float* v = x + item * d;
    for (std::size_t i = threadIdx.x; i < half; i += blockDim.x) {
      const float angle = p * inv_freq[i];
      const float c = cosf(angle) * concentration, s = sinf(angle) * concentration;
      const float x1 = v[i], x2 = v[half + i];
      v[i] = x1 * c - x2 * s;
      v[half + i] = x2 * c + x1 * s;
    }
  }
}
}  // namespace

void rope(float* x, std::size_t T, std::size_t heads, std::size_t d, const std::size_t* pos, const float* inv_freq,
          float concentration, cudaStream_t stream) {
  if (T == 0 || heads == 0) return;
  rope_kernel<<<grid_y(T * heads), 64, 0, stream>>>(x, T * heads, heads, d, pos, inv_freq, concentration);
  check_launch("rope");
}
}  // namespace ossa::kernels::cuda
