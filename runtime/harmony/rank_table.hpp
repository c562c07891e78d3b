#pragma once
// Internal: the BPE vocabulary. Token bytes live in one arena indexed by rank; lookup by bytes is
// an open-addressing hash table of (rank, hash tag) slots, so encoding never allocates and a
// probe rarely touches the arena for a key that does not match.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ossa::harmony {

class RankTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Rank r's bytes are arena[offsets[r], offsets[r+1]). Returns false if two ranks have the
  // same bytes.
  bool build(std::string arena, std::vector<uint32_t> offsets);

  uint32_t find(const char* p, size_t n) const {
    const uint64_t h = hash(p, n);
    const auto tag = static_cast<uint32_t>(h >> 32);
    size_t slot = h & mask_;
    for (;;) {
      const Slot s = slots_[slot];
      if (s.rank == kNone) return kNone;
      if (s.tag == tag) {
        const uint32_t off = offsets_[s.rank];
        if (offsets_[s.rank + 1] - off == n && std::memcmp(arena_.data() + off, p, n) == 0)
          return s.rank;
      }
      slot = (slot + 1) & mask_;
    }
  }
  uint32_t find(std::string_view s) const { return find(s.data(), s.size()); }
  std::string_view bytes(uint32_t rank) const {
    return {arena_.data() + offsets_[rank], offsets_[rank + 1] - offsets_[rank]};
  }
  size_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }

 private:
  static uint64_t hash(const char* p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
      uint64_t v;
      std::memcpy(&v, p, 8);
      h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
      h ^= h >> 29;
      p += 8;
      n -= 8;
    }
    uint64_t v = 0;
    if (n != 0) std::memcpy(&v, p, n);
    h = (h ^ v) * 0x94D049BB133111EBull;
    return h ^ (h >> 31);
  }

  struct Slot {
    uint32_t rank;
    uint32_t tag;  // high half of the key's hash
  };
  std::string arena_;
  std::vector<uint32_t> offsets_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace ossa::harmony
