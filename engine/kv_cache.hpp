#pragma once
// One sequence's view of the paged KV cache (engine-internal): per layer, a table of block
// ids, entry b covering positions [b * block_tokens, (b + 1) * block_tokens). Full-attention
// layers hold every block; sliding-window layers release the blocks wholly behind
// `keep_behind` positions (window + rewind slack), so their memory stays bounded.
#include <cstddef>
#include <vector>

#include "engine/kv_blocks.hpp"

namespace ossa::engine {

class Backend;

class SequenceKv {
 public:
  SequenceKv(const KvGeometry& g, std::size_t keep_behind);

  const std::vector<BlockId>& table(std::size_t layer) const { return tables_[layer]; }
  const std::vector<std::vector<BlockId>>& tables() const { return tables_; }
  std::size_t keep_behind() const { return keep_behind_; }

  // Makes positions [pos0, pos0 + n) writable in every layer: allocates missing blocks and
  // copies blocks others share (copy-on-write). Throws KvBudgetError; blocks already taken stay
  // in the tables (release_all() returns them).
  void prepare(BlockPool& pool, Backend& backend, std::size_t pos0, std::size_t n);
  // After `len` positions are computed: sliding layers drop blocks wholly before len - keep_behind.
  void trim(BlockPool& pool, std::size_t len);
  // Drops blocks wholly at or past position n.
  void truncate(BlockPool& pool, std::size_t n);
  // Whether every sliding layer still holds the window before position n (what the next
  // token at n needs, and what re-running token n-1 needs).
  bool holds_window_before(std::size_t n) const;
  // Sets table entry `index` of `layer` to b (the caller has retained b); grows the table.
  void adopt(std::size_t layer, std::size_t index, BlockId b);
  void release_all(BlockPool& pool);
  // Block ids referenced (a block shared with others counts here too).
  std::size_t held() const;

 private:
  const KvGeometry* g_;
  std::size_t keep_behind_;
  std::vector<std::vector<BlockId>> tables_;
};

}  // namespace ossa::engine
