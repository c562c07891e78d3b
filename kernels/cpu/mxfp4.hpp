#pragma once
// MXFP4 (OCP microscaling FP4, as in gpt-oss expert weights): a row of K weights is K/32 groups;
// each group has one scale byte s (value 2^(s-127)) and 16 bytes holding 32 E2M1 codes, element
// 2j in the low nibble of byte j and element 2j+1 in the high nibble. Code bit 3 is the sign,
// bits 0..2 pick a magnitude from {0, 0.5, 1, 1.5, 2, 3, 4, 6}.
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace ossa::kernels {

inline constexpr std::size_t kMxfp4Group = 32;       // weights per scale
inline constexpr std::size_t kMxfp4GroupBytes = 16;  // packed bytes per group

inline float mxfp4_code_value(unsigned code) {
  static constexpr float kMagnitude[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  float m = kMagnitude[code & 7u];
  return (code & 8u) ? -m : m;
}

inline float mxfp4_scale_value(uint8_t s) { return std::ldexp(1.0f, static_cast<int>(s) - 127); }

// Decodes one row of K weights (K a multiple of 32) into out[0..K).
inline void mxfp4_decode_row(const uint8_t* blocks, const uint8_t* scales, std::size_t K,
                             float* out) {
  for (std::size_t g = 0; g < K / kMxfp4Group; ++g) {
    float scale = mxfp4_scale_value(scales[g]);
    for (std::size_t j = 0; j < kMxfp4GroupBytes; ++j) {
      uint8_t b = blocks[g * kMxfp4GroupBytes + j];
      out[g * kMxfp4Group + 2 * j] = mxfp4_code_value(b & 0x0fu) * scale;
      out[g * kMxfp4Group + 2 * j + 1] = mxfp4_code_value(b >> 4) * scale;
    }
  }
}

}  // namespace ossa::kernels
