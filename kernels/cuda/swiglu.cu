// One thread per output element. A faster version fuses this into the first expert product's
// epilogue.
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/swiglu.cuh"

namespace ossa::kernels::cuda {
namespace {
__global__ void swiglu_kernel(const float* h, std::size_t n, float alpha, float limit, float* out) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  // Output i is pair i of the input: rows of I pairs map to rows of 2I floats.
  const float g = fminf(h[2 * i], limit);
  const float l = fminf(fmaxf(h[2 * i + 1], -limit), limit);
  out[i] = g / (1.0f + expf(-alpha * g)) * (l + 1.0f);
}
}  // namespace

void swiglu(const float* h, std::size_t T, std::size_t I, float alpha, float limit, float* out, cudaStream_t stream) {
  const std::size_t n = T * I;
  if (n == 0) return;
  swiglu_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(h, n, alpha, limit, out);
  check_launch("swiglu");
}
}  // namespace ossa::kernels::cuda
