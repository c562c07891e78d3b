#pragma once
// Prefix cache (engine-internal): completed token blocks of earlier sequences, kept so that a
// new sequence starting with the same tokens (agents resend the same system prompt,
// developer message and tool namespaces every round) reuses their keys and values instead of
// recomputing them. An entry is one block of block_tokens tokens, keyed exactly by its parent
// entry and its tokens (a chain from the sequence start), holding a reference on the KV block
// of every layer. A new sequence also takes the first positions of one more entry when its
// tokens continue the chain only part of a block (a shared prefix rarely ends on a block
// boundary): a position's key and value depend only on the tokens up to it. Sharing is by
// reference count; a sequence that writes into a shared block copies it first
// (SequenceKv::prepare). Under memory pressure entries are evicted
// least-recently-used, leaves first, so every cached chain stays reachable from its start.
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/kv_blocks.hpp"
#include "engine/kv_cache.hpp"

namespace ossa::engine {

using EntryId = std::uint64_t;
inline constexpr EntryId kRootEntry = 0;

class PrefixCache {
 public:
  PrefixCache(const KvGeometry& g, BlockPool& pool) : g_(&g), pool_(&pool) {}
  ~PrefixCache() { clear(); }
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  struct Match {
    std::vector<EntryId> chain;     // entry per matched whole block, from the start
    EntryId partial = kRootEntry;   // a child of the chain's end sharing its first tokens, if any
    std::size_t partial_tokens = 0;  // how many (0 < n < block_tokens)
    std::size_t tokens(std::size_t block_tokens) const { return chain.size() * block_tokens + partial_tokens; }
  };

  // Longest cached prefix of `tokens`, at most max_tokens long, that can serve a sequence
  // continuing after it: every full-attention layer holds all its blocks and every sliding
  // layer the window before its end. Marks it used.
  Match lookup(std::span<const std::int32_t> tokens, std::size_t max_tokens);
  // Puts the match's blocks into `kv` (retained; sliding layers only the window's).
  void attach(const Match& match, SequenceKv& kv);
  // Records block `index` of a sequence (its tokens, its blocks in `kv`) as the child of
  // `parent`; returns the entry (an existing one when these tokens are already cached).
  EntryId insert(EntryId parent, std::span<const std::int32_t> block, const SequenceKv& kv, std::size_t index);
  // Evicts the least-recently-used leaf whose eviction frees a block; false if none.
  bool evict_one();
  void clear();

  std::size_t entries() const { return entries_.size(); }
  // Blocks that only the cache references (what evicting everything would free).
  std::size_t reclaimable_blocks() const;
  std::uint64_t hits() const { return hits_; }          // blocks served by lookup()
  std::uint64_t lookups() const { return lookups_; }

 private:
  struct Entry {
    EntryId parent = kRootEntry;
    std::vector<std::int32_t> tokens;
    std::vector<BlockId> blocks;  // per layer; kNoBlock where the sequence had released it
    std::uint64_t last_used = 0;
    std::vector<EntryId> children;
    std::size_t depth = 0;  // block index in its chain
  };
  static std::uint64_t key(EntryId parent, std::span<const std::int32_t> block);
  EntryId find(EntryId parent, std::span<const std::int32_t> block) const;
  void erase(EntryId id);

  const KvGeometry* g_;
  BlockPool* pool_;
  std::unordered_map<EntryId, Entry> entries_;
  std::unordered_multimap<std::uint64_t, EntryId> index_;
  EntryId next_id_ = 1;
  std::uint64_t clock_ = 0;
  std::uint64_t hits_ = 0, lookups_ = 0;
};

}  // namespace ossa::engine
