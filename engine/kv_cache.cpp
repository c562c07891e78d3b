#include "engine/kv_cache.hpp"

namespace ossa::engine {

void KvCache::init(const ModelConfig& c) {
  width_ = static_cast<std::size_t>(c.kv_width());
  ring_capacity_ = static_cast<std::size_t>(c.sliding_window) + kRewindSlack;
  layers_.assign(static_cast<std::size_t>(c.num_layers), Layer{});
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    layers_[l].ring = c.sliding[l];
    if (layers_[l].ring) {
      layers_[l].k.assign(ring_capacity_ * width_, 0.0f);
      layers_[l].v.assign(ring_capacity_ * width_, 0.0f);
    }
  }
}

void KvCache::reserve(std::size_t n) {
  for (auto& l : layers_) {
    if (l.ring || l.k.size() >= n * width_) continue;
    // Geometric growth: decode steps do not reallocate each time.
    std::size_t want = l.k.size() / width_ * 2;
    if (want < n) want = n;
    if (want < 64) want = 64;
    l.k.resize(want * width_);
    l.v.resize(want * width_);
  }
}

float* KvCache::row(std::size_t layer, std::size_t pos, bool key) {
  Layer& l = layers_[layer];
  std::size_t slot = l.ring ? pos % ring_capacity_ : pos;
  return (key ? l.k.data() : l.v.data()) + slot * width_;
}

}  // namespace ossa::engine
