#pragma once
// The --weights-q8 option inside the CPU engine (engine-internal): at load, the chosen bf16
// tensors are quantized to Q8 (kernels/cpu/q8.hpp) into buffers the model owns, and the
// mapped pages of each bf16 tensor are dropped as soon as it is done (madvise MADV_DONTNEED),
// so the process never holds both copies of the whole model; the forward pass then uses
// matmul_q8 for them (forward.cpp).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/config.hpp"
#include "engine/huge_pages.hpp"
#include "engine/weights.hpp"
#include "engine/weights_q8.hpp"

namespace ossa::engine {

// Owns the Q8 copies; ModelWeights' Q8Matrix fields point into it.
struct Q8Store {
  std::vector<HugeBuffer> memory;  // int8 values and fp32 scales of each matrix
  std::uint64_t bytes = 0;           // Q8 bytes held
  std::uint64_t released_bytes = 0;  // bf16 bytes whose pages were dropped
};

// Quantizes the groups of `groups` (their bf16 shapes are already checked), sets the Q8Matrix
// fields of `w`, clears the bf16 pointers it replaces and records the dropped ranges in
// w.released. `threads` split the rows of each tensor.
Q8Store quantize_weights(const ModelConfig& c, ModelWeights& w, const WeightsQ8& groups, unsigned threads);

// x = embedding row of a Q8 table (dequantized).
void embedding_row_q8(const Q8Matrix& table, std::size_t token, std::size_t H, float* x);

}  // namespace ossa::engine
