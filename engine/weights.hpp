#pragma once
// Pointers into the mapped checkpoint, one set per layer, in the engine's own terms. Both
// layouts bind to this: the original fused qkv becomes three row ranges of one tensor, the
// Hugging Face q/k/v_proj are three tensors. Nothing is copied.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/checkpoint.hpp"

namespace ossa::engine {

struct Mxfp4Weight {
  const std::uint8_t* blocks = nullptr;  // [E, rows, K/32, 16]
  const std::uint8_t* scales = nullptr;  // [E, rows, K/32]
  const std::uint16_t* bias = nullptr;   // [E, rows] bf16
  bool int8_activations = false;         // --weights-q8 experts (weights_q8.hpp)
};

// A weight in Q8 (kernels/cpu/q8.hpp), quantized at load by --weights-q8 (quantize_q8.hpp):
// rows x K int8 values and rows x K/32 fp32 scales. Empty unless that option chose it; when set,
// the bf16 pointer it replaces is null and its pages are dropped.
struct Q8Matrix {
  const std::int8_t* qs = nullptr;
  const float* d = nullptr;
  explicit operator bool() const { return qs != nullptr; }
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
  Q8Matrix q_q8, k_q8, v_q8, out_q8;      // --weights-q8 attention
};

struct ModelWeights {
  const std::uint16_t* embedding = nullptr;    // [V, H]
  const std::uint16_t* final_norm = nullptr;   // [H]
  const std::uint16_t* unembedding = nullptr;  // [V, H]
  std::vector<LayerWeights> layers;
  Q8Matrix embedding_q8, unembedding_q8;  // --weights-q8 embedding / unembedding
  // Mapped byte ranges whose pages were dropped after quantizing or copying (never read
  // again, so prefetch skips them).
  std::vector<std::pair<const std::uint8_t*, std::size_t>> released;
};

// Drops this process's mapping of the whole pages inside [p, p + bytes) (madvise
// MADV_DONTNEED; they stay in the page cache, and a later read would be correct, just slow) and
// records the range in w.released. Partial pages at the ends may hold a neighbouring tensor
// and stay.
void drop_mapped_pages(ModelWeights& w, const void* p, std::size_t bytes);

// Looks up and checks every tensor the config implies (dtype and shape); throws
// CheckpointError naming the first bad tensor and its file.
ModelWeights bind_weights(const Checkpoint& ck);

}  // namespace ossa::engine
