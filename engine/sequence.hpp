#pragma once
// One token sequence's state in the engine (engine-internal), shared by Session and the
// Scheduler: the tokens whose keys and values are in its KV blocks, the logits after the last
// of them, and its chain of prefix-cache entries. run_step() is the one place that turns a
// batch of sequences into a backend step and keeps the cache bookkeeping right.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/kv_cache.hpp"
#include "engine/model_impl.hpp"
#include "engine/prefix_cache.hpp"

namespace ossa::engine {

// Most tokens one step runs (a longer prompt is split into chunks of this many).
inline constexpr std::size_t kMaxStepTokens = 256;

struct Sequence {
  Sequence(const ModelImpl& m, std::size_t keep_behind) : kv(m.kv, keep_behind) {}
  std::vector<std::int32_t> tokens;  // computed: their keys and values are in kv
  SequenceKv kv;
  std::vector<EntryId> chain;  // prefix-cache entry of each registered block, from the start
  std::vector<float> logits;   // after the last computed token
  bool use_prefix_cache = false;
};

struct StepWork {
  Sequence* seq = nullptr;
  std::span<const std::int32_t> tokens;  // to append
  bool all_logits = false;               // else only after the last token
  float* all_out = nullptr;              // all_logits: tokens.size() x vocab
  bool want_logits = true;               // false: a prefill chunk whose logits nobody reads
  std::string error;                     // set when this sequence could not run (KV budget)
};

// Runs one batched step (the caller holds m.mutex): reserves blocks per sequence (a sequence
// whose blocks do not fit gets `error` and is left out, unchanged), runs the backend, appends
// the tokens, registers completed blocks in the prefix cache and trims sliding layers.
void run_step(ModelImpl& m, std::span<StepWork> work, const TraceFn* trace = nullptr);

// Makes seq hold exactly the first n of its tokens with their logits; what its KV no longer
// covers (a long rewind past the sliding window) is recomputed, from the prefix cache when
// the sequence uses it. Caller holds m.mutex.
void rewind(ModelImpl& m, Sequence& seq, std::size_t n);

// Starts an empty sequence on the longest cached prefix of `tokens` that leaves at least one
// token to compute; returns how many tokens it took from the cache. Caller holds m.mutex.
std::size_t attach_prefix(ModelImpl& m, Sequence& seq, std::span<const std::int32_t> tokens);

// Appends tokens alone (steps of kMaxStepTokens), logits after the last; throws KvBudgetError.
void append(ModelImpl& m, Sequence& seq, std::span<const std::int32_t> tokens);

void release(ModelImpl& m, Sequence& seq);

}  // namespace ossa::engine
