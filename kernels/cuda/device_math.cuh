#pragma once
// Device helpers shared by the ops (.cu files only): bf16 widening and warp/block sums.
#include <cstdint>

namespace ossa::kernels::cuda {

__device__ inline float bf16_to_f32(std::uint16_t v) { return __uint_as_float(static_cast<unsigned>(v) << 16); }

__device__ inline float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sum over the whole thread block (blockDim.x a multiple of 32, at most 1024); every thread
// gets the result.
__device__ inline float block_sum(float v) {
  __shared__ float part[32];
  v = warp_sum(v);
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // part may still be read by a previous call
  if (lane == 0) part[warp] = v;
  __syncthreads();
  float s = 0.0f;
  for (unsigned i = 0; i < blockDim.x / 32; ++i) s += part[i];
  return s;
}

// Grid sizes: the y dimension is capped at 65535, so kernels loop over it.
inline unsigned grid_y(std::size_t n) { return static_cast<unsigned>(n < 65535 ? n : 65535); }
inline unsigned blocks_for(std::size_t n, unsigned per_block) {
  return static_cast<unsigned>((n + per_block - 1) / per_block);
}

}  // namespace ossa::kernels::cuda
