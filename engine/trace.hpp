#pragma once
// Every intermediate activation of a forward pass, for checks against the reference.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "engine/model.hpp"

namespace ossa::engine {

// Receives intermediate activations, named like the golden data ("embedding",
// "block0.attn.norm", ..., "final_norm"): rows x cols floats (row = token of the step).
using TraceFn = std::function<void(const std::string& name, const float* data, std::size_t rows,
                                   std::size_t cols)>;

// Runs `tokens` (at most 256) from position 0 in a fresh sequence, reporting every
// intermediate to `trace`; returns the logits after every token (tokens.size() x vocab).
std::vector<float> trace_forward(const Model& model, std::span<const std::int32_t> tokens, const TraceFn& trace);

}  // namespace ossa::engine
