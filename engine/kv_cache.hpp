#pragma once
// Keys (after RoPE) and values per layer, fp32. Full-attention layers keep every position;
// sliding-window layers keep a ring of window + kRewindSlack positions, which both bounds their
// memory and lets a Session rewind up to kRewindSlack tokens without recomputing anything.
#include <cstddef>
#include <vector>

#include "engine/config.hpp"

namespace ossa::engine {

inline constexpr std::size_t kRewindSlack = 1024;
// Longest batch the forward pass runs at once; must not exceed kRewindSlack (a batch writes
// all its keys before attending, and the ring must still hold the oldest key it needs).
inline constexpr std::size_t kPrefillChunk = 256;
static_assert(kPrefillChunk <= kRewindSlack);

class KvCache {
 public:
  void init(const ModelConfig& c);
  // Makes room for positions < n (full layers grow; rings are fixed).
  void reserve(std::size_t n);
  float* k(std::size_t layer, std::size_t pos) { return row(layer, pos, true); }
  float* v(std::size_t layer, std::size_t pos) { return row(layer, pos, false); }
  // Positions each ring holds (window + kRewindSlack): after n positions were written, the
  // oldest one every ring still holds is n - ring_capacity().
  std::size_t ring_capacity() const { return ring_capacity_; }

 private:
  float* row(std::size_t layer, std::size_t pos, bool key);
  struct Layer {
    bool ring = false;
    std::vector<float> k, v;
  };
  std::vector<Layer> layers_;
  std::size_t width_ = 0;
  std::size_t ring_capacity_ = 0;
};

}  // namespace ossa::engine
