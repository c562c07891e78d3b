#pragma once
// What a loaded Model holds (engine-internal): the mapped checkpoint, the bound weights, the
// backend that runs them, and the KV cache shared by every sequence of the model: the block
// pool (ids, reference counts, budget) and the prefix cache. One mutex serialises steps and
// every change to the pool and the prefix cache.
#include <memory>
#include <mutex>
#include <vector>

#include "engine/backend.hpp"
#include "engine/checkpoint.hpp"
#include "engine/kv_blocks.hpp"
#include "engine/prefix_cache.hpp"
#include "engine/quantize_q8.hpp"
#include "engine/weights.hpp"

namespace ossa::engine {

class ModelImpl {
 public:
  ModelImpl(Checkpoint ck, unsigned threads, std::uint64_t kv_memory_bytes, const WeightsQ8& weights_q8 = {},
            const Device& device = {}, bool map_weights = false);
  ~ModelImpl();

  Checkpoint checkpoint;
  ModelConfig config;
  ModelWeights weights;
  WeightsQ8 weights_q8;
  Q8Store q8;  // the --weights-q8 copies `weights` points into
  unsigned threads = 1;
  std::string device_note;  // Model::device_note
  std::unique_ptr<Backend> backend;
  KvGeometry kv;
  std::uint64_t kv_budget_bytes = 0;
  mutable std::mutex mutex;  // guards backend, blocks and prefix (all below)
  BlockPool blocks;
  PrefixCache prefix;
};

// Default KV budget: half the memory available now (MemAvailable), at least 64 MiB.
std::uint64_t default_kv_memory_bytes();

}  // namespace ossa::engine
