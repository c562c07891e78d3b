#pragma once
// What a loaded Model holds (engine-internal): the mapped checkpoint, the bound weights, the
// RoPE frequencies and the compute pool.
#include <memory>
#include <mutex>
#include <vector>

#include "engine/checkpoint.hpp"
#include "engine/thread_pool.hpp"
#include "engine/weights.hpp"

namespace ossa::engine {

class ModelImpl {
 public:
  ModelImpl(Checkpoint ck, unsigned threads);

  Checkpoint checkpoint;
  ModelConfig config;
  ModelWeights weights;
  // YaRN: per frequency slot i < head_dim/2, the angle per position, and the factor that
  // multiplies both cos and sin (so attention logits scale by its square).
  std::vector<float> inv_freq;
  float concentration = 1.0f;
  unsigned threads = 1;
  // One forward pass at a time uses the pool.
  mutable std::mutex compute_mutex;
  mutable ThreadPool pool;
};

// YaRN frequencies as in the reference (gpt_oss/torch/model.py RotaryEmbedding).
void yarn_frequencies(const ModelConfig& c, std::vector<float>& inv_freq, float& concentration);

}  // namespace ossa::engine
