#pragma once
// The gpt-oss forward pass on the CPU over a batched step (engine-internal; the CPU backend
// runs it). Read it beside OpenAI's gpt_oss/torch/model.py: Transformer.forward, then
// AttentionBlock.forward and MLPBlock.forward, one kernel call (kernels/cpu/<op>.hpp) per line
// of the reference.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/backend.hpp"
#include "engine/config.hpp"
#include "engine/kv_blocks.hpp"
#include "engine/rope.hpp"
#include "engine/thread_pool.hpp"
#include "engine/weights.hpp"
#include "kernels/cpu/matmul_mxfp4_q8.hpp"

namespace ossa::engine {

// What the CPU forward pass reads and writes: weights (the backend's copy on huge pages, the
// rest in place in the mapped checkpoint: cpu/resident_weights.hpp), the RoPE table, the sinks
// widened once, the KV blocks' storage and scratch.
struct CpuModel {
  CpuModel(const ModelConfig& c, const ModelWeights& w, unsigned threads);

  const ModelConfig& config;
  const ModelWeights& weights;
  RopeFrequencies rope;
  std::vector<std::vector<float>> sinks;  // per layer, num_heads
  KvGeometry kv;
  std::vector<std::unique_ptr<float[]>> blocks;  // storage by BlockId, allocated on first use
  ThreadPool pool;

  float* block(BlockId b);  // allocates on first use

  // Scratch, reused between steps (rows = tokens of the step; xe, h1, act and ye hold a row per
  // (token, chosen expert)).
  std::vector<float> x, t, q, k, v, o, tmp, gate, moe, xe, h1, act, ye, final_rows, logits_rows;
  std::vector<kernels::Mxfp4Q8Panel> panels;  // one per chosen expert of the step's MLP
  std::vector<std::int32_t> expert_idx;
  std::vector<float> expert_w;
  std::vector<std::size_t> pos;
};

void forward(CpuModel& m, std::span<const StepSequence> batch, const TraceFn* trace);

}  // namespace ossa::engine
