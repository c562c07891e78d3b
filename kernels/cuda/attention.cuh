#pragma once
// Attention with sinks and the banded window over paged KV blocks, on the device; the same op
// and block layout as kernels/cpu/attention.hpp (keys then values per block, `row` floats per
// position). Every pointer is device memory, including the block table itself (an array of
// device pointers to this sequence's blocks of one layer). head_dim must be at most 256.
#include <cuda_runtime_api.h>

#include <cstddef>

#include "kernels/cpu/attention.hpp"

namespace ossa::kernels::cuda {

inline constexpr std::size_t kAttentionMaxHeadDim = 256;

// The CPU op's views, here holding device pointers.
using ::ossa::kernels::AttentionShape;
using ::ossa::kernels::KvView;

// q, out: rows x heads x head_dim; row r is at position pos[r].
void attention(const float* q, const std::size_t* pos, std::size_t rows, const KvView& kv, const AttentionShape& s,
               float* out, cudaStream_t stream);

}  // namespace ossa::kernels::cuda
