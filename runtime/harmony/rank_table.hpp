#pragma once
// Internal: the BPE vocabulary. Token bytes live in one arena indexed by rank; lookup by bytes is
// an open-addressing hash table of ranks (4 bytes a slot), so encoding never allocates.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ossa::harmony {

class RankTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // `tokens[r]` = bytes of rank r. Returns false if two ranks have the same bytes.
  bool build(const std::vector<std::string>& tokens);

  uint32_t find(const char* p, size_t n) const {
    size_t slot = hash(p, n) & mask_;
    for (;;) {
      const uint32_t r = slots_[slot];
      if (r == kNone) return kNone;
      const uint32_t off = offsets_[r];
      if (offsets_[r + 1] - off == n && std::memcmp(arena_.data() + off, p, n) == 0) return r;
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

  std::string arena_;
  std::vector<uint32_t> offsets_;
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

}  // namespace ossa::harmony
