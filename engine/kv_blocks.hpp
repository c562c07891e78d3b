#pragma once
// The KV cache's memory as fixed-size blocks (engine-internal). A block holds one layer's keys
// and values for block_tokens consecutive positions; the backend owns the storage, this pool
// owns the ids: a free list, a reference count per block (a block shared by several sequences
// and the prefix cache is freed when the last one lets go), and the budget (capacity).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/config.hpp"
#include "engine/model.hpp"

namespace ossa::engine {

using BlockId = std::int32_t;
inline constexpr BlockId kNoBlock = -1;

// Shape of the cache for a model: which layers slide, and how big a block is.
struct KvGeometry {
  std::size_t block_tokens = 16;
  std::size_t row = 0;  // floats per position per layer (kv_heads * head_dim), keys or values
  std::size_t layers = 0;
  std::size_t window = 0;  // of the sliding layers
  std::vector<bool> sliding;

  static KvGeometry of(const ModelConfig& c, std::size_t block_tokens = 16);
  std::size_t block_floats() const { return 2 * block_tokens * row; }
  std::size_t block_bytes() const { return block_floats() * sizeof(float); }
  std::size_t blocks_for(std::size_t tokens) const { return (tokens + block_tokens - 1) / block_tokens; }
  // Most blocks a sequence of `tokens` positions holds at once when its sliding layers keep
  // `keep_behind` positions behind the newest (window + rewind slack) and a step adds up to
  // `step_tokens`; plus one copy-on-write block per layer.
  std::size_t peak_blocks(std::size_t tokens, std::size_t keep_behind, std::size_t step_tokens) const;
};

class BlockPool {
 public:
  explicit BlockPool(std::size_t capacity) : refs_(capacity, 0) {
    free_.reserve(capacity);
    for (std::size_t i = capacity; i-- > 0;) free_.push_back(static_cast<BlockId>(i));
  }

  // Called when the free list is empty: frees at least one block if it can (the prefix cache
  // evicts least-recently-used entries) and returns whether it did.
  std::function<bool()> reclaim;

  // A block with one reference; throws KvBudgetError when none is free or reclaimable.
  BlockId allocate();
  void retain(BlockId b) { ++refs_[static_cast<std::size_t>(b)]; }
  void release(BlockId b);
  int refs(BlockId b) const { return refs_[static_cast<std::size_t>(b)]; }

  std::size_t capacity() const { return refs_.size(); }
  std::size_t free_count() const { return free_.size(); }
  std::size_t used_count() const { return capacity() - free_.size(); }

 private:
  std::vector<int> refs_;
  std::vector<BlockId> free_;
};

}  // namespace ossa::engine
