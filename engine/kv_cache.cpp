#include "engine/kv_cache.hpp"

#include "engine/backend.hpp"

namespace ossa::engine {

SequenceKv::SequenceKv(const KvGeometry& g, std::size_t keep_behind)
    : g_(&g), keep_behind_(keep_behind), tables_(g.layers) {}

void SequenceKv::prepare(BlockPool& pool, Backend& backend, std::size_t pos0, std::size_t n) {
  if (n == 0) return;
  const std::size_t B = g_->block_tokens;
  const std::size_t first = pos0 / B, last = (pos0 + n - 1) / B;
  for (auto& t : tables_) {
    if (t.size() <= last) t.resize(last + 1, kNoBlock);
    for (std::size_t b = first; b <= last; ++b) {
      if (t[b] == kNoBlock) {
        t[b] = pool.allocate();
      } else if (pool.refs(t[b]) > 1) {
        const BlockId copy = pool.allocate();
        backend.copy_block(t[b], copy);
        pool.release(t[b]);
        t[b] = copy;
      }
    }
  }
}

void SequenceKv::trim(BlockPool& pool, std::size_t len) {
  if (len <= keep_behind_) return;
  const std::size_t B = g_->block_tokens, below = (len - keep_behind_) / B;  // blocks wholly before
  for (std::size_t l = 0; l < tables_.size(); ++l) {
    if (!g_->sliding[l]) continue;
    auto& t = tables_[l];
    for (std::size_t b = 0; b < below && b < t.size(); ++b) {
      if (t[b] != kNoBlock) {
        pool.release(t[b]);
        t[b] = kNoBlock;
      }
    }
  }
}

void SequenceKv::truncate(BlockPool& pool, std::size_t n) {
  const std::size_t keep = g_->blocks_for(n);
  for (auto& t : tables_) {
    for (std::size_t b = keep; b < t.size(); ++b) {
      if (t[b] != kNoBlock) pool.release(t[b]);
    }
    if (t.size() > keep) t.resize(keep);
  }
}

bool SequenceKv::holds_window_before(std::size_t n) const {
  if (n == 0) return true;
  const std::size_t B = g_->block_tokens;
  const std::size_t lo = n > g_->window ? n - g_->window : 0;
  for (std::size_t l = 0; l < tables_.size(); ++l) {
    const auto& t = tables_[l];
    const std::size_t from = g_->sliding[l] ? lo / B : 0;
    for (std::size_t b = from; b <= (n - 1) / B; ++b) {
      if (b >= t.size() || t[b] == kNoBlock) return false;
    }
  }
  return true;
}

void SequenceKv::adopt(std::size_t layer, std::size_t index, BlockId b) {
  auto& t = tables_[layer];
  if (t.size() <= index) t.resize(index + 1, kNoBlock);
  t[index] = b;
}

void SequenceKv::release_all(BlockPool& pool) {
  for (auto& t : tables_) {
    for (BlockId b : t) {
      if (b != kNoBlock) pool.release(b);
    }
    t.clear();
  }
}

std::size_t SequenceKv::held() const {
  std::size_t n = 0;
  for (const auto& t : tables_) {
    for (BlockId b : t) n += b != kNoBlock;
  }
  return n;
}

}  // namespace ossa::engine
