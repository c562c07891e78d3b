// One thread per row: K passes of a linear scan for the largest logit not yet taken (E is 32 or
// 128 and K is 4, so this is small). A faster version gives each row a warp and uses shuffles.
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/routing.cuh"

namespace ossa::kernels::cuda {
namespace {
__global__ void topk_kernel(const float* logits, std::size_t T, std::size_t E, std::size_t K, std::int32_t* idx,
                            float* weight) {
  const std::size_t t = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (t >= T) return;
  const float* g = logits + t * E;
  std::int32_t chosen[kRoutingMaxK];
  for (std::size_t j = 0; j < K; ++j) {
    std::int32_t best = -1;
    for (std::size_t e = 0; e < E; ++e) {
      bool taken = false;
      for (std::size_t i = 0; i < j; ++i) taken = taken || chosen[i] == static_cast<std::int32_t>(e);
      // Strictly greater: on a tie the lower index, met first, stays.
      if (!taken && (best < 0 || g[e] > g[best])) best = static_cast<std::int32_t>(e);
    }
    chosen[j] = best;
  }
  const float mx = g[chosen[0]];
  float sum = 0.0f;
  for (std::size_t j = 0; j < K; ++j) {
    weight[t * K + j] = expf(g[chosen[j]] - mx);
    sum += weight[t * K + j];
  }
  for (std::size_t j = 0; j < K; ++j) {
    weight[t * K + j] /= sum;
    idx[t * K + j] = chosen[j];
  }
}
}  // namespace

void topk_softmax(const float* logits, std::size_t T, std::size_t E, std::size_t K, std::int32_t* idx, float* weight,
                  cudaStream_t stream) {
  if (T == 0) return;
  if (K == 0 || K > kRoutingMaxK || K > E) throw CudaError("topk_softmax: K must be in [1, min(E, 32)]");
  topk_kernel<<<blocks_for(T, 128), 128, 0, stream>>>(logits, T, E, K, idx, weight);
  check_launch("topk_softmax");
}
}  // namespace ossa::kernels::cuda
