#pragma once
// Attention with sinks and the banded window over paged KV blocks, on the device; the same op
// and block layout as kernels/cpu/attention.hpp (keys then values per block, `row` floats per
// position). Every pointer is device memory, including the block table itself (an array of
// device pointers to this sequence's blocks of one layer). head_dim must be at most 256.
#include <cuda_runtime_api.h>

#include <cstddef>

namespace ossa::kernels::cuda {

inline constexpr std::size_t kAttentionMaxHeadDim = 256;

struct KvView {
  const float* const* blocks = nullptr;
  std::size_t block_tokens = 0;
  std::size_t row = 0;
};

struct AttentionShape {
  std::size_t heads = 0, kv_heads = 0, head_dim = 0;
  std::size_t window = 0;  // 0: every earlier position
  float scale = 1.0f;
  const float* sinks = nullptr;  // heads floats
};

// q, out: rows x heads x head_dim; row r is at position pos[r].
void attention(const float* q, const std::size_t* pos, std::size_t rows, const KvView& kv, const AttentionShape& s,
               float* out, cudaStream_t stream);

}  // namespace ossa::kernels::cuda
