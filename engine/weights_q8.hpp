#pragma once
// Which bf16 weights the CPU engine turns into 8 bits at load (LoadOptions::weights_q8; the
// `--weights-q8` flag and the `weights_q8` configuration key). Off by default: the default path
// computes with the weights exactly as the checkpoint ships them.
//
//   auto q8 = ossa::engine::parse_weights_q8("attention,unembedding");  // throws invalid_argument
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ossa::engine {

struct WeightsQ8 {
  bool attention = false;    // q, k, v and out projections of every layer
  bool embedding = false;    // the token embedding table (rows dequantized on lookup)
  bool unembedding = false;  // the output projection to the vocabulary
  // The MoE experts: their weights stay MXFP4 as shipped, but each product quantizes its
  // activation rows to Q8 and uses integer dot products (kernels/cpu/matmul_mxfp4_q8.hpp), as
  // llama.cpp does; the 8 bits are the activations'.
  bool experts = false;

  bool any() const { return attention || embedding || unembedding || experts; }
  // "attention,embedding,unembedding,experts" (those set), or "none".
  std::string names() const;
};

// The valid group names, for messages.
inline constexpr const char* kWeightsQ8Names = "attention, embedding, unembedding, experts, all";

// Group names (each attention, embedding, unembedding, experts or all; repeats allowed); an empty list
// is none. Throws std::invalid_argument naming the bad entry and the valid names (callers
// prefix the flag or key).
WeightsQ8 parse_weights_q8(const std::vector<std::string>& names);
// The same for a comma-separated list ("attention,unembedding"; empty items are skipped).
WeightsQ8 parse_weights_q8(std::string_view comma_list);

}  // namespace ossa::engine
