#include "engine/prefix_cache.hpp"

#include <algorithm>

namespace ossa::engine {

std::uint64_t PrefixCache::key(EntryId parent, std::span<const std::int32_t> block) {
  std::uint64_t h = 1469598103934665603ull ^ parent;
  for (std::int32_t t : block) {
    h ^= static_cast<std::uint32_t>(t);
    h *= 1099511628211ull;
  }
  return h;
}

EntryId PrefixCache::find(EntryId parent, std::span<const std::int32_t> block) const {
  auto [a, b] = index_.equal_range(key(parent, block));
  for (auto it = a; it != b; ++it) {
    const Entry& e = entries_.at(it->second);
    if (e.parent == parent && std::equal(e.tokens.begin(), e.tokens.end(), block.begin(), block.end())) return it->second;
  }
  return kRootEntry;
}

PrefixCache::Match PrefixCache::lookup(std::span<const std::int32_t> tokens, std::size_t max_blocks) {
  ++lookups_;
  const std::size_t B = g_->block_tokens;
  std::vector<EntryId> chain;
  EntryId parent = kRootEntry;
  for (std::size_t b = 0; b < max_blocks && (b + 1) * B <= tokens.size(); ++b) {
    const EntryId id = find(parent, tokens.subspan(b * B, B));
    if (id == kRootEntry) break;
    chain.push_back(id);
    parent = id;
  }
  // Shorten until the chain can serve a continuation: full layers need every block, sliding
  // layers the window before the end.
  auto serves = [&](std::size_t n) {
    const std::size_t end = n * B, lo = end > g_->window ? (end - g_->window) / B : 0;
    for (std::size_t b = 0; b < n; ++b) {
      const Entry& e = entries_.at(chain[b]);
      for (std::size_t l = 0; l < g_->layers; ++l) {
        if (e.blocks[l] == kNoBlock && (!g_->sliding[l] || b >= lo)) return false;
      }
    }
    return true;
  };
  while (!chain.empty() && !serves(chain.size())) chain.pop_back();
  ++clock_;
  for (EntryId id : chain) entries_.at(id).last_used = clock_;
  hits_ += chain.size();
  return Match{std::move(chain)};
}

void PrefixCache::attach(const Match& match, SequenceKv& kv) {
  const std::size_t B = g_->block_tokens, end = match.chain.size() * B;
  const std::size_t lo = end > kv.keep_behind() ? (end - kv.keep_behind()) / B : 0;
  for (std::size_t b = 0; b < match.chain.size(); ++b) {
    const Entry& e = entries_.at(match.chain[b]);
    for (std::size_t l = 0; l < g_->layers; ++l) {
      if (g_->sliding[l] && b < lo) continue;
      const BlockId blk = e.blocks[l];
      if (blk == kNoBlock) continue;  // before the window (lookup checked the rest)
      pool_->retain(blk);
      kv.adopt(l, b, blk);
    }
  }
}

EntryId PrefixCache::insert(EntryId parent, std::span<const std::int32_t> block, const SequenceKv& kv,
                            std::size_t index) {
  if (parent != kRootEntry && !entries_.count(parent)) return kRootEntry;  // parent evicted meanwhile
  if (EntryId id = find(parent, block); id != kRootEntry) {
    entries_.at(id).last_used = ++clock_;
    return id;
  }
  Entry e;
  e.parent = parent;
  e.tokens.assign(block.begin(), block.end());
  e.blocks.assign(g_->layers, kNoBlock);
  e.depth = index;
  e.last_used = ++clock_;
  for (std::size_t l = 0; l < g_->layers; ++l) {
    const auto& t = kv.table(l);
    if (index < t.size() && t[index] != kNoBlock) {
      e.blocks[l] = t[index];
      pool_->retain(t[index]);
    }
  }
  const EntryId id = next_id_++;
  if (parent != kRootEntry) ++entries_.at(parent).children;
  index_.emplace(key(parent, block), id);
  entries_.emplace(id, std::move(e));
  return id;
}

void PrefixCache::erase(EntryId id) {
  auto it = entries_.find(id);
  const Entry& e = it->second;
  for (BlockId b : e.blocks) {
    if (b != kNoBlock) pool_->release(b);
  }
  if (e.parent != kRootEntry) --entries_.at(e.parent).children;
  auto [a, b] = index_.equal_range(key(e.parent, e.tokens));
  for (auto i = a; i != b; ++i) {
    if (i->second == id) {
      index_.erase(i);
      break;
    }
  }
  entries_.erase(it);
}

bool PrefixCache::evict_one() {
  // Least recently used leaf; among equals the deepest (a chain is used all at once).
  EntryId best = kRootEntry;
  const Entry* be = nullptr;
  for (const auto& [id, e] : entries_) {
    if (e.children) continue;
    bool frees = false;
    for (BlockId b : e.blocks) frees = frees || (b != kNoBlock && pool_->refs(b) == 1);
    if (!frees) continue;
    if (!be || e.last_used < be->last_used || (e.last_used == be->last_used && e.depth > be->depth)) {
      best = id;
      be = &e;
    }
  }
  if (best != kRootEntry) {
    erase(best);
    return true;
  }
  // No leaf frees memory now; dropping a leaf whose blocks are all in use by sequences
  // exposes its parent, which might.
  if (reclaimable_blocks() == 0) return false;
  for (const auto& [id, e] : entries_) {
    if (!e.children) {
      erase(id);
      return evict_one();
    }
  }
  return false;
}

void PrefixCache::clear() {
  while (!entries_.empty()) {
    EntryId leaf = kRootEntry;
    for (const auto& [id, e] : entries_) {
      if (!e.children) {
        leaf = id;
        break;
      }
    }
    erase(leaf);
  }
}

std::size_t PrefixCache::reclaimable_blocks() const {
  std::size_t n = 0;
  for (const auto& [id, e] : entries_) {
    for (BlockId b : e.blocks) n += b != kNoBlock && pool_->refs(b) == 1;
  }
  return n;
}

}  // namespace ossa::engine
