#pragma once
// Everything a Session owns (engine-internal): its tokens, KV cache, last logits and scratch.
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/kv_cache.hpp"
#include "engine/model.hpp"

namespace ossa::engine {

class SessionState {
 public:
  std::shared_ptr<const Model> model;
  std::size_t max_context = 0;
  std::vector<std::int32_t> tokens;
  std::vector<float> logits;  // after the last token (empty when no tokens)
  KvCache cache;
  // Scratch reused between forward passes.
  std::vector<float> x, t, q, k, v, o, tmp, gate, moe, xe, h1, act, ye, final_rows;
};

}  // namespace ossa::engine
