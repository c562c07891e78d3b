#pragma once
// The seam between the engine and the hardware that runs the model. A backend owns the
// weights resident in its memory (the CPU backend copies the ones it streams onto huge pages
// and uses the rest in place in the mapped checkpoint), the storage of the KV cache blocks
// (their ids are handed out by the engine's BlockPool), and its scratch; and it does one
// thing: run a batched step. The CPU backend (engine/cpu/) is the
// reference; a CUDA backend is the second implementation of this interface.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/kv_blocks.hpp"
#include "engine/trace.hpp"

namespace ossa::engine {


// One sequence's part of a step: its new tokens at positions pos0.., its block tables (every
// block of [0, pos0 + tokens.size()) that attention reads is present and those written are
// exclusively its own), and where its logits go.
struct StepSequence {
  std::span<const std::int32_t> tokens;
  std::size_t pos0 = 0;
  const std::vector<std::vector<BlockId>>* tables = nullptr;  // one per layer
  // null: no logits; otherwise all_logits ? tokens.size() x vocab : vocab (after the last token).
  float* logits = nullptr;
  bool all_logits = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // Storage for block ids < count (allocated as blocks are first used).
  virtual void reserve_blocks(std::size_t count) = 0;
  virtual void copy_block(BlockId from, BlockId to) = 0;
  // One forward pass over every sequence of the batch at once: dense products run over all
  // their rows together, experts over the rows routed to them across sequences, attention per
  // sequence over its own blocks. Writes the new keys/values into the blocks.
  virtual void step(std::span<const StepSequence> batch, const TraceFn* trace) = 0;
  // Reads every weight page once, returns the bytes touched.
  virtual std::uint64_t prefetch() = 0;
  // The KV budget when the user gave none: what this backend's own memory leaves for it (the
  // CUDA backend: most of the device memory free after the weights); 0 = the engine's host
  // default (default_kv_memory_bytes).
  virtual std::uint64_t kv_budget_default() const { return 0; }
  // Where the weights live, in a few words ("huge pages (12345 MiB copied at load)"); empty
  // where there is nothing to say.
  virtual std::string weights_note() const { return {}; }
};

}  // namespace ossa::engine
