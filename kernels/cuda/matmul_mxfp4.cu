// GEMV-style like matmul_bf16: one warp per (output row n, routed row p). Lanes 0-15 take the
// 16 bytes of an even group, lanes 16-31 those of the next, so a warp reads 32 contiguous bytes
// of codes per step; each byte is two E2M1 codes decoded through a 16-entry table and scaled by
// the group's e8m0 scale, all in registers. Routes of different tokens to the same expert read
// its rows again (from L2). A faster version: group the routes by expert (sort on device) so
// each expert row is read once per step, 16-byte loads, and for prefill a grouped GEMM on
// tensor cores (codes expanded to bf16/fp8 in shared memory).
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/matmul_mxfp4.cuh"

namespace ossa::kernels::cuda {
namespace {
constexpr unsigned kRowsPerBlock = 8;

__device__ inline float e2m1(unsigned code) {
  constexpr float kMagnitude[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  const float m = kMagnitude[code & 7u];
  return (code & 8u) ? -m : m;
}

__global__ void matmul_mxfp4_kernel(const float* x, std::size_t rows, std::size_t x_div, std::size_t K,
                                    const std::uint8_t* blocks, const std::uint8_t* scales,
                                    const std::uint16_t* bias, const std::int32_t* expert, float* y, std::size_t N) {
  const unsigned lane = threadIdx.x % 32;
  const std::size_t n = blockIdx.x * static_cast<std::size_t>(kRowsPerBlock) + threadIdx.x / 32;
  if (n >= N) return;
  const std::size_t G = K / 32;
  const unsigned byte = lane % 16;
  for (std::size_t p = blockIdx.y; p < rows; p += gridDim.y) {
    const std::size_t e = expert ? static_cast<std::size_t>(expert[p]) : 0;
    const std::uint8_t* br = blocks + (e * N + n) * G * 16;
    const std::uint8_t* sr = scales + (e * N + n) * G;
    const float* xr = x + (p / x_div) * K;
    float s = 0.0f;
    for (std::size_t g = lane / 16; g < G; g += 2) {
      const float scale = ldexpf(1.0f, static_cast<int>(sr[g]) - 127);
      const unsigned b = br[g * 16 + byte];
      const float* xg = xr + g * 32 + 2 * byte;
      s += (e2m1(b & 0x0fu) * xg[0] + e2m1(b >> 4) * xg[1]) * scale;
    }
    s = warp_sum(s);
    if (lane == 0) y[p * N + n] = (bias ? bf16_to_f32(bias[e * N + n]) : 0.0f) + s;
  }
}
}  // namespace

void matmul_mxfp4(const float* x, std::size_t rows, std::size_t x_div, std::size_t K, const std::uint8_t* blocks,
                  const std::uint8_t* scales, const std::uint16_t* bias, const std::int32_t* expert, float* y,
                  std::size_t N, cudaStream_t stream) {
  if (rows == 0 || N == 0) return;
  if (K % 32 != 0 || x_div == 0) throw CudaError("matmul_mxfp4: K must be a multiple of 32 and x_div positive");
  const dim3 grid(blocks_for(N, kRowsPerBlock), grid_y(rows));
  matmul_mxfp4_kernel<<<grid, kRowsPerBlock * 32, 0, stream>>>(x, rows, x_div, K, blocks, scales, bias, expert, y, N);
  check_launch("matmul_mxfp4");
}
}  // namespace ossa::kernels::cuda
