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

PrefixCache::Match PrefixCache::lookup(std::span<const std::int32_t> tokens, std::size_t max_tokens) {
  ++lookups_;
  const std::size_t B = g_->block_tokens;
  max_tokens = std::min(max_tokens, tokens.size());
  std::vector<EntryId> chain;
  EntryId parent = kRootEntry;
  for (std::size_t b = 0; (b + 1) * B <= max_tokens; ++b) {
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
  Match match{std::move(chain)};
  // The next block, in part: the child of the chain's end that shares the most first tokens
  // (within max_tokens) and holds its block in every layer. A longer match is served only
  // through the chain, so no child can share a whole block here.
  const std::size_t end = match.chain.size() * B;
  if (!match.chain.empty() && end < max_tokens) {
    const auto next = tokens.subspan(end, std::min(B, max_tokens - end));
    for (EntryId id : entries_.at(match.chain.back()).children) {
      const Entry& e = entries_.at(id);
      const std::size_t n = static_cast<std::size_t>(
          std::mismatch(next.begin(), next.end(), e.tokens.begin(), e.tokens.end()).first - next.begin());
      if (n <= match.partial_tokens || n == B) continue;
      if (std::find(e.blocks.begin(), e.blocks.end(), kNoBlock) != e.blocks.end()) continue;
      match.partial = id;
      match.partial_tokens = n;
    }
  }
  ++clock_;
  for (EntryId id : match.chain) entries_.at(id).last_used = clock_;
  if (match.partial != kRootEntry) entries_.at(match.partial).last_used = clock_;
  hits_ += match.chain.size() + (match.partial != kRootEntry);
  return match;
}

void PrefixCache::attach(const Match& match, SequenceKv& kv) {
  const std::size_t B = g_->block_tokens, end = match.tokens(B);
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
  if (match.partial == kRootEntry) return;
  // Shared like the rest; the sequence's first write into it makes its own copy.
  const Entry& e = entries_.at(match.partial);
  for (std::size_t l = 0; l < g_->layers; ++l) {
    pool_->retain(e.blocks[l]);
    kv.adopt(l, match.chain.size(), e.blocks[l]);
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
  if (parent != kRootEntry) entries_.at(parent).children.push_back(id);
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
  if (e.parent != kRootEntry) std::erase(entries_.at(e.parent).children, id);
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
    if (!e.children.empty()) continue;
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
    if (e.children.empty()) {
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
      if (e.children.empty()) {
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
