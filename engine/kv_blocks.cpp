#include "engine/kv_blocks.hpp"

#include <algorithm>

namespace ossa::engine {

KvGeometry KvGeometry::of(const ModelConfig& c, std::size_t block_tokens) {
  KvGeometry g;
  g.block_tokens = block_tokens;
  g.row = static_cast<std::size_t>(c.kv_width());
  g.layers = static_cast<std::size_t>(c.num_layers);
  g.window = static_cast<std::size_t>(c.sliding_window);
  g.sliding = c.sliding;
  return g;
}

std::size_t KvGeometry::peak_blocks(std::size_t tokens, std::size_t keep_behind, std::size_t step_tokens) const {
  std::size_t n = 0;
  for (std::size_t l = 0; l < layers; ++l) {
    const std::size_t full = blocks_for(tokens);
    n += sliding[l] ? std::min(full, blocks_for(keep_behind + step_tokens) + 1) : full;
    n += 1;  // copy-on-write
  }
  return n;
}

BlockId BlockPool::allocate() {
  while (free_.empty()) {
    if (!reclaim || !reclaim()) {
      throw KvBudgetError("the KV cache is full: all " + std::to_string(capacity()) +
                          " blocks are in use (raise --kv-memory or run fewer sequences at once)");
    }
  }
  const BlockId b = free_.back();
  free_.pop_back();
  refs_[static_cast<std::size_t>(b)] = 1;
  return b;
}

void BlockPool::release(BlockId b) {
  int& r = refs_[static_cast<std::size_t>(b)];
  if (--r == 0) free_.push_back(b);
}

}  // namespace ossa::engine
