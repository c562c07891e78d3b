// One thread block per (query row, head), four warps. Warp w takes keys lo+w, lo+w+4, ...; a
// warp's lanes split the head's dimensions (lane, lane+32, ...), so a key's dot product is a
// warp sum. Each warp keeps an online softmax (running max, sum and weighted values), and the
// four are merged at the end together with the sink, which joins the softmax without a value.
// A faster version: flash-decoding (split long contexts over more blocks, merge in a second
// pass) for decode, and tiles of query rows sharing each key block in shared memory for prefill.
#include <cmath>

#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_math.cuh"

namespace ossa::kernels::cuda {
namespace {
constexpr unsigned kWarps = 4;
constexpr unsigned kPerLane = kAttentionMaxHeadDim / 32;

__global__ void attention_kernel(const float* q, const std::size_t* pos, std::size_t items, KvView kv,
                                 AttentionShape s, float* out) {
  __shared__ float part_max[kWarps], part_sum[kWarps];
  __shared__ float part_acc[kWarps][kAttentionMaxHeadDim];
  const std::size_t d = s.head_dim, B = kv.block_tokens, group = s.heads / s.kv_heads;
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (std::size_t item = blockIdx.x; item < items; item += gridDim.x) {
    const std::size_t r = item / s.heads, h = item % s.heads, kvh = h / group;
    const std::size_t p = pos[r];
    const std::size_t lo = s.window && p + 1 > s.window ? p + 1 - s.window : 0;
    const float* qv = q + item * d;
    float qr[kPerLane], acc[kPerLane];
    for (unsigned i = 0; i < kPerLane; ++i) {
      const std::size_t e = lane + 32 * i;
      qr[i] = e < d ? qv[e] : 0.0f;
      acc[i] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    for (std::size_t j = lo + warp; j <= p; j += kWarps) {
      const float* blk = kv.blocks[j / B];
      const float* k = blk + (j % B) * kv.row + kvh * d;
      const float* v = blk + (B + j % B) * kv.row + kvh * d;
      float dot = 0.0f;
      for (unsigned i = 0; i < kPerLane; ++i) {
        const std::size_t e = lane + 32 * i;
        if (e < d) dot += qr[i] * k[e];
      }
      const float a = warp_sum(dot) * s.scale;
      const float mn = fmaxf(m, a);
      const float c = expf(m - mn), w = expf(a - mn);
      l = l * c + w;
      for (unsigned i = 0; i < kPerLane; ++i) {
        const std::size_t e = lane + 32 * i;
        if (e < d) acc[i] = acc[i] * c + w * v[e];
      }
      m = mn;
    }
    if (lane == 0) {
      part_max[warp] = m;
      part_sum[warp] = l;
    }
    for (unsigned i = 0; i < kPerLane; ++i) {
      const std::size_t e = lane + 32 * i;
      if (e < d) part_acc[warp][e] = acc[i];
    }
    __syncthreads();
    if (warp == 0) {
      const float sink = s.sinks[h];
      float M = sink;
      for (unsigned w = 0; w < kWarps; ++w) M = fmaxf(M, part_max[w]);
      float L = expf(sink - M);
      // A warp that saw no key has max -inf and sum 0: its factor exp(-inf) is 0.
      for (unsigned w = 0; w < kWarps; ++w) L += part_sum[w] * expf(part_max[w] - M);
      for (std::size_t e = lane; e < d; e += 32) {
        float o = 0.0f;
        for (unsigned w = 0; w < kWarps; ++w) o += part_acc[w][e] * expf(part_max[w] - M);
        out[item * d + e] = o / L;
      }
    }
    __syncthreads();  // the parts are rewritten by the next item
  }
}
}  // namespace

void attention(const float* q, const std::size_t* pos, std::size_t rows, const KvView& kv, const AttentionShape& s,
               float* out, cudaStream_t stream) {
  if (rows == 0 || s.heads == 0) return;
  if (s.head_dim > kAttentionMaxHeadDim || s.kv_heads == 0 || s.heads % s.kv_heads != 0)
    throw CudaError("attention: unsupported shape (head_dim > 256 or heads not a multiple of kv_heads)");
  attention_kernel<<<grid_y(rows * s.heads), kWarps * 32, 0, stream>>>(q, pos, rows * s.heads, kv, s, out);
  check_launch("attention");
}
}  // namespace ossa::kernels::cuda
