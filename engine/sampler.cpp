#include "engine/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ossa::engine {

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

std::int32_t Sampler::sample(std::span<const float> logits) {
  if (logits.empty()) return -1;
  const auto argmax = [&] {
    std::size_t best = 0;
    for (std::size_t i = 1; i < logits.size(); ++i) {
      if (logits[i] > logits[best]) best = i;
    }
    return static_cast<std::int32_t>(best);
  };
  if (!(params_.temperature > 0.0f)) return argmax();

  order_.resize(logits.size());
  std::iota(order_.begin(), order_.end(), 0);
  std::size_t keep = logits.size();
  auto by_logit = [&](std::int32_t a, std::int32_t b) {
    return logits[static_cast<std::size_t>(a)] > logits[static_cast<std::size_t>(b)] ||
           (logits[static_cast<std::size_t>(a)] == logits[static_cast<std::size_t>(b)] && a < b);
  };
  if (params_.top_k > 0 && static_cast<std::size_t>(params_.top_k) < keep) {
    keep = static_cast<std::size_t>(params_.top_k);
    std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(keep), order_.end(), by_logit);
  } else if (params_.top_p < 1.0f) {
    std::sort(order_.begin(), order_.end(), by_logit);
  }
  const float inv_t = 1.0f / params_.temperature;
  float mx = -INFINITY;
  for (std::size_t i = 0; i < keep; ++i) mx = std::max(mx, logits[static_cast<std::size_t>(order_[i])]);
  if (!std::isfinite(mx)) return argmax();
  probs_.resize(keep);
  double sum = 0.0;
  for (std::size_t i = 0; i < keep; ++i) {
    probs_[i] = std::exp((logits[static_cast<std::size_t>(order_[i])] - mx) * inv_t);
    sum += probs_[i];
  }
  if (params_.top_p < 1.0f && params_.top_p > 0.0f) {
    // order_ is sorted here: keep the smallest prefix whose mass reaches top_p.
    double acc = 0.0;
    std::size_t n = 0;
    while (n < keep) {
      acc += probs_[n++] / sum;
      if (acc >= params_.top_p) break;
    }
    keep = n;
    sum = 0.0;
    for (std::size_t i = 0; i < keep; ++i) sum += probs_[i];
  }
  std::uniform_real_distribution<double> uni(0.0, sum);
  double r = uni(rng_), acc = 0.0;
  for (std::size_t i = 0; i < keep; ++i) {
    acc += probs_[i];
    if (r < acc) return order_[i];
  }
  return order_[keep - 1];
}

}  // namespace ossa::engine
