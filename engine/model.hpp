#pragma once
// A loaded gpt-oss checkpoint, ready to run. Public entry point of the engine:
//
//   auto model = ossa::engine::Model::load("/models/gpt-oss-20b");    // throws CheckpointError
//   ossa::engine::Session s(model);                                   // see session.hpp
//
// Thread safety: a Model's weights are immutable after load() and it may be shared (shared_ptr)
// by any number of Sessions and Schedulers on any threads. It also owns the KV cache all of
// them draw from (blocks under one memory budget, and the prefix cache); steps and cache
// changes are serialised internally, so concurrent calls are safe (they queue).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "engine/config.hpp"
#include "engine/device.hpp"
#include "engine/weights_q8.hpp"

namespace ossa::engine {

// Any problem with a checkpoint folder: unreadable or truncated file, bad JSON, unknown layout,
// missing / mis-shaped / wrongly typed tensor. what() names the tensor and the file.
struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The KV cache (LoadOptions::kv_memory_bytes) cannot hold what a request needs; what() gives
// the sizes and says what to change.
struct KvBudgetError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Layout {
  original,     // OpenAI's original/ folder: config.json (ModelConfig keys) + *.safetensors
  huggingface,  // transformers config.json + model*.safetensors (+ model.safetensors.index.json)
};
const char* layout_name(Layout layout);

struct LoadOptions {
  // Compute threads; 0 = the usable cores. More than the usable cores is capped to them: extra
  // threads only contend, and a huge count (--threads 100000) exhausted the host's processes.
  unsigned threads = 0;
  // Memory for the KV cache of all sequences together (blocks of 16 positions of one layer);
  // 0 = half the memory available at load time.
  std::uint64_t kv_memory_bytes = 0;
  // bf16 weights to quantize to 8 bits at load (weights_q8.hpp); none by default.
  WeightsQ8 weights_q8 = {};
  // Where the model runs (device.hpp). The CLI's default is auto; the library's is the CPU.
  Device device = {};
  // CPU: keep the weights the forward pass streams in the mapped checkpoint (4 KiB pages)
  // rather than copying them onto huge pages at load (engine/cpu/resident_weights.hpp).
  bool map_weights = false;
};

// The KV cache's blocks: how many the budget allows, how many are in use (by sequences or
// the prefix cache) and how many only the prefix cache holds (reclaimable).
struct KvStats {
  std::size_t block_bytes = 0;
  std::size_t block_tokens = 0;
  std::size_t capacity_blocks = 0;
  std::size_t used_blocks = 0;
  std::size_t prefix_entries = 0;
  std::size_t prefix_only_blocks = 0;
};

// The cores this process may run on (its CPU affinity mask), at least 1.
unsigned usable_cores();

class ModelImpl;

class Model {
 public:
  // Maps the weights and validates every tensor up front. The CPU backend then copies the
  // ones it streams onto huge pages unless options.map_weights (weights_note says which).
  static std::shared_ptr<const Model> load(const std::filesystem::path& dir,
                                           const LoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const;
  Layout layout() const;
  const std::filesystem::path& dir() const;
  unsigned threads() const;
  // Bytes of weights mapped (all safetensors files' tensor data).
  std::uint64_t weight_bytes() const;
  // Weight bytes one decode step reads: all dense weights of the blocks, the router, the
  // experts_per_token experts of every layer, the unembedding and one embedding row, each in
  // the format it is read in (bf16, MXFP4, or Q8 for the --weights-q8 groups).
  std::uint64_t bytes_read_per_token() const;
  // The groups quantized to 8 bits at load, and the bytes of those Q8 copies.
  const WeightsQ8& weights_q8() const;
  std::uint64_t q8_bytes() const;

  // Reads every weight page once (in parallel), so that the first requests do not wait on the
  // disk. Optional: weights page in on first use anyway. Returns the bytes touched.
  std::uint64_t prefetch() const;

  KvStats kv_stats() const;
  // Drops every prefix-cache entry (their blocks return to the free list unless in use).
  void clear_prefix_cache() const;
  const char* backend_name() const;
  // Which device runs the model and, when LoadOptions::device was auto, why: "cuda:0 (NVIDIA
  // H100 80GB HBM3)", "cpu (auto: no CUDA device: ...)".
  const std::string& device_note() const;
  // Where the backend keeps the weights: "huge pages (N MiB copied at load)", or "mapped (why)".
  std::string weights_note() const;

  ModelImpl& impl() const { return *impl_; }  // engine-internal (internally synchronised)

 private:
  explicit Model(std::unique_ptr<ModelImpl> impl);
  std::unique_ptr<ModelImpl> impl_;
};

}  // namespace ossa::engine
