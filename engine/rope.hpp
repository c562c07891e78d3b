#pragma once
// YaRN RoPE frequencies from the config, as the reference computes them
// (gpt_oss/torch/model.py RotaryEmbedding): the kernel (kernels/cpu/rope.hpp) rotates by
// pos * inv_freq[i], scaling cos and sin by the concentration.
#include <vector>

#include "engine/config.hpp"

namespace ossa::engine {

struct RopeFrequencies {
  std::vector<float> inv_freq;  // head_dim / 2
  float concentration = 1.0f;
};

RopeFrequencies yarn_frequencies(const ModelConfig& c);

}  // namespace ossa::engine
