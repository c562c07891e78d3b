#pragma once
// Scaled dot-product attention with sinks and an optional banded (sliding) window, over a
// paged key/value cache (gpt_oss/torch/model.py sdpa): for query row r at position pos[r] and
// head h (kv head h / (heads / kv_heads)),
//   keys j in [lo, pos[r]], lo = window ? max(0, pos[r] + 1 - window) : 0
//   a_j = q . k_j * scale;   w = softmax([a_lo .. a_pos, sink_h]);   out = sum_j w_j v_j
// The sink takes part in the softmax but has no value. One function serves decode (one query
// row over the cache) and prefill (a block of query rows, each at its own position).
//
// The cache is a list of blocks of block_tokens positions; block b holds positions
// [b*block_tokens, (b+1)*block_tokens): block_tokens key rows, then block_tokens value rows,
// each `row` floats (kv_heads * head_dim). Blocks wholly below every query's lo may be null.
#include <cstddef>

#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {

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

// q: rows x heads x head_dim; out the same. Computes the (row, head) items [item0, item1) of
// rows * heads (item = row * heads + head), so callers can split the work across threads.
OSSA_KERNEL_VARIANTS(void attention(const float* q, const std::size_t* pos, std::size_t rows, const KvView& kv,
                                    const AttentionShape& s, float* out, std::size_t item0, std::size_t item1))

}  // namespace ossa::kernels
