// One thread block per row: each thread scans a strided slice, then a shared-memory tree picks
// the best (value, index) pair.
#include "kernels/cuda/argmax.cuh"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"

namespace ossa::kernels::cuda {
namespace {
constexpr unsigned kThreads = 256;

__device__ inline bool better(float v, std::size_t i, float bv, std::size_t bi) {
  return v > bv || (v == bv && i < bi);
}

__global__ void argmax_kernel(const float* logits, std::size_t rows, std::size_t V, std::int32_t* out) {
  __shared__ float best_v[kThreads];
  __shared__ std::size_t best_i[kThreads];
  for (std::size_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* row = logits + r * V;
    float bv = -INFINITY;
    std::size_t bi = V;
    for (std::size_t i = threadIdx.x; i < V; i += kThreads) {
      if (bi == V || better(row[i], i, bv, bi)) {
        bv = row[i];
        bi = i;
      }
    }
    best_v[threadIdx.x] = bv;
    best_i[threadIdx.x] = bi;
    __syncthreads();
    for (unsigned half = kThreads / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) {
        const unsigned o = threadIdx.x + half;
        if (best_i[o] != V && (best_i[threadIdx.x] == V || better(best_v[o], best_i[o], best_v[threadIdx.x], best_i[threadIdx.x]))) {
          best_v[threadIdx.x] = best_v[o];
          best_i[threadIdx.x] = best_i[o];
        }
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) out[r] = static_cast<std::int32_t>(best_i[0]);
    __syncthreads();
  }
}
}  // namespace

void argmax(const float* logits, std::size_t rows, std::size_t V, std::int32_t* out, cudaStream_t stream) {
  if (rows == 0 || V == 0) return;
  argmax_kernel<<<grid_y(rows), kThreads, 0, stream>>>(logits, rows, V, out);
  check_launch("argmax");
}
}  // namespace ossa::kernels::cuda
