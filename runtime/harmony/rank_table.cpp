#include "runtime/harmony/rank_table.hpp"

namespace ossa::harmony {

bool RankTable::build(const std::vector<std::string>& tokens) {
  arena_.clear();
  offsets_.assign(1, 0);
  size_t total = 0;
  for (const auto& t : tokens) total += t.size();
  arena_.reserve(total);
  for (const auto& t : tokens) {
    arena_.append(t);
    offsets_.push_back(static_cast<uint32_t>(arena_.size()));
  }
  // Load factor <= 0.5 keeps probe sequences short.
  size_t cap = 16;
  while (cap < tokens.size() * 2) cap <<= 1;
  slots_.assign(cap, kNone);
  mask_ = cap - 1;
  for (uint32_t r = 0; r < tokens.size(); ++r) {
    std::string_view b = bytes(r);
    if (find(b.data(), b.size()) != kNone) return false;
    size_t slot = hash(b.data(), b.size()) & mask_;
    while (slots_[slot] != kNone) slot = (slot + 1) & mask_;
    slots_[slot] = r;
  }
  return true;
}

}  // namespace ossa::harmony
