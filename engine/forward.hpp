#pragma once
// The gpt-oss forward pass over a batch of new tokens (engine-internal; Session drives it).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "engine/model_impl.hpp"
#include "engine/session_state.hpp"

namespace ossa::engine {

// Receives intermediate activations, named like the golden data ("embedding",
// "block0.attn.norm", ..., "final_norm"): rows x cols floats (row = token of this batch).
using TraceFn = std::function<void(const std::string& name, const float* data, std::size_t rows,
                                   std::size_t cols)>;

// Runs tokens (at most kPrefillChunk) at positions pos0.. through the model, writing their keys
// and values into state.cache. Logits: when all_rows, tokens.size() x vocab into `logits`,
// otherwise only the last token's vocab logits. The caller holds model.compute_mutex.
void forward(const ModelImpl& model, SessionState& state, std::span<const std::int32_t> tokens,
             std::size_t pos0, bool all_rows, float* logits, const TraceFn* trace);

}  // namespace ossa::engine
