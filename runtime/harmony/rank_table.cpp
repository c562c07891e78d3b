#include "runtime/harmony/rank_table.hpp"

namespace ossa::harmony {

bool RankTable::build(std::string arena, std::vector<uint32_t> offsets) {
  arena_ = std::move(arena);
  offsets_ = std::move(offsets);
  const size_t n = size();
  // Load factor <= 0.5 keeps probe sequences short.
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  slots_.assign(cap, Slot{kNone, 0});
  mask_ = cap - 1;
  // Inserting is bound by cache misses on the slot array: hash everything first, then prefetch
  // slots a few insertions ahead.
  std::vector<uint64_t> hashes(n);
  for (uint32_t r = 0; r < n; ++r) hashes[r] = hash(bytes(r).data(), bytes(r).size());
  constexpr uint32_t kAhead = 16;
  for (uint32_t r = 0; r < n; ++r) {
    if (r + kAhead < n) __builtin_prefetch(&slots_[hashes[r + kAhead] & mask_]);
    const std::string_view b = bytes(r);
    const uint64_t h = hashes[r];
    const auto tag = static_cast<uint32_t>(h >> 32);
    size_t slot = h & mask_;
    for (; slots_[slot].rank != kNone; slot = (slot + 1) & mask_)
      if (slots_[slot].tag == tag && bytes(slots_[slot].rank) == b) return false;
    slots_[slot] = Slot{r, tag};
  }
  return true;
}

}  // namespace ossa::harmony
