#pragma once
// Picks the next token from logits: greedy, or temperature sampling narrowed by top-k and
// top-p, reproducible from a seed. A Sampler holds its random state: one per generation stream,
// not shared between threads.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace ossa::engine {

struct SamplingParams {
  float temperature = 0.0f;  // <= 0: greedy (argmax, lowest id on ties)
  float top_p = 1.0f;        // keep the smallest set of most likely tokens with mass >= top_p
  int top_k = 0;             // keep the k most likely tokens; 0 = no limit
  std::uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params = {});
  std::int32_t sample(std::span<const float> logits);
  const SamplingParams& params() const { return params_; }

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::int32_t> order_;  // scratch
  std::vector<float> probs_;         // scratch
};

}  // namespace ossa::engine
