// YaRN RoPE frequencies: low-index slots (short wavelengths) keep theta^(-2i/d), slots past the
// `high` band edge are slowed by the scaling factor, the band in between blends linearly in i.
#include <cmath>

#include "engine/rope.hpp"

namespace ossa::engine {

RopeFrequencies yarn_frequencies(const ModelConfig& c) {
  RopeFrequencies r;
  auto& inv_freq = r.inv_freq;
  auto& concentration = r.concentration;
  const int half = c.head_dim / 2;
  inv_freq.assign(static_cast<std::size_t>(half), 0.0f);
  const double pi = 3.14159265358979323846;
  const double s = c.rope_scaling_factor;
  concentration = s > 1.0 ? static_cast<float>(0.1 * std::log(s) + 1.0) : 1.0f;
  const double low = half * std::log(c.initial_context_length / (c.rope_ntk_beta * 2 * pi)) /
                     std::log(static_cast<double>(c.rope_theta));
  const double high = half * std::log(c.initial_context_length / (c.rope_ntk_alpha * 2 * pi)) /
                      std::log(static_cast<double>(c.rope_theta));
  for (int i = 0; i < half; ++i) {
    // The reference computes the base frequency in fp32.
    const float freq = std::pow(c.rope_theta, static_cast<float>(2 * i) / static_cast<float>(c.head_dim));
    double inv = 1.0 / freq;
    if (s > 1.0) {
      double ramp = high > low ? (i - low) / (high - low) : 0.0;
      double keep = 1.0 - std::fmin(std::fmax(ramp, 0.0), 1.0);
      inv = (1.0 / (s * freq)) * (1.0 - keep) + (1.0 / freq) * keep;
    }
    inv_freq[static_cast<std::size_t>(i)] = static_cast<float>(inv);
  }
  return r;
}

}  // namespace ossa::engine
