#pragma once
// Pointers into the mapped checkpoint, one set per layer, in the engine's own terms. Both
// layouts bind to this: the original fused qkv becomes three row ranges of one tensor, the
// Hugging Face q/k/v_proj are three tensors. Nothing is copied.
#include <cstdint>
#include <vector>

#include "engine/checkpoint.hpp"

namespace ossa::engine {

struct Mxfp4Weight {
  const std::uint8_t* blocks = nullptr;  // [E, rows, K/32, 16]
  const std::uint8_t* scales = nullptr;  // [E, rows, K/32]
  const std::uint16_t* bias = nullptr;   // [E, rows] bf16
};

struct LayerWeights {
  const std::uint16_t* attn_norm = nullptr;  // [H] bf16 (all pointers below are bf16)
  const std::uint16_t* q_w = nullptr;        // [Hq*d, H]
  const std::uint16_t* k_w = nullptr;        // [Hkv*d, H]
  const std::uint16_t* v_w = nullptr;        // [Hkv*d, H]
  const std::uint16_t* q_b = nullptr;
  const std::uint16_t* k_b = nullptr;
  const std::uint16_t* v_b = nullptr;
  const std::uint16_t* sinks = nullptr;  // [Hq]
  const std::uint16_t* out_w = nullptr;  // [H, Hq*d]
  const std::uint16_t* out_b = nullptr;  // [H]
  const std::uint16_t* mlp_norm = nullptr;
  const std::uint16_t* gate_w = nullptr;  // [E, H]
  const std::uint16_t* gate_b = nullptr;  // [E]
  Mxfp4Weight mlp1;                       // rows 2I (interleaved gate/linear), K = H
  Mxfp4Weight mlp2;                       // rows H, K = I
};

struct ModelWeights {
  const std::uint16_t* embedding = nullptr;    // [V, H]
  const std::uint16_t* final_norm = nullptr;   // [H]
  const std::uint16_t* unembedding = nullptr;  // [V, H]
  std::vector<LayerWeights> layers;
};

// Looks up and checks every tensor the config implies (dtype and shape); throws
// CheckpointError naming the first bad tensor and its file.
ModelWeights bind_weights(const Checkpoint& ck);

}  // namespace ossa::engine
