#pragma once
// gpt-oss model hyper-parameters, read from a checkpoint's config.json in either layout.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ossa::engine {

struct ModelConfig {
  int num_layers = 0;
  int num_experts = 0;
  int experts_per_token = 0;
  int vocab_size = 0;
  int hidden_size = 0;
  int intermediate_size = 0;
  float swiglu_limit = 7.0f;
  int head_dim = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int sliding_window = 0;
  int initial_context_length = 4096;
  float rope_theta = 150000.0f;
  float rope_scaling_factor = 1.0f;
  float rope_ntk_alpha = 1.0f;
  float rope_ntk_beta = 32.0f;
  float rms_norm_eps = 1e-5f;
  // One entry per layer: true where attention uses the sliding window (even layers in gpt-oss).
  std::vector<bool> sliding;

  int q_width() const { return num_heads * head_dim; }
  int kv_width() const { return num_kv_heads * head_dim; }
  // Context the RoPE scaling was trained for: initial_context_length * rope_scaling_factor.
  std::size_t context_length() const;
};

}  // namespace ossa::engine
