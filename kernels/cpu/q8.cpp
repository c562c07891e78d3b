// Scalar reference of the Q8 format and the dispatchers.
#include "kernels/cpu/q8.hpp"

#include <cmath>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"

namespace ossa::kernels {
namespace {
// One block of 32 values (already fp32).
void quantize_block(const float* v, std::int8_t* q, float* d) {
  float amax = 0.0f;
  for (std::size_t i = 0; i < kQ8Block; ++i) amax = std::fmax(amax, std::fabs(v[i]));
  const float scale = amax / 127.0f;
  const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
  for (std::size_t i = 0; i < kQ8Block; ++i) {
    float r = std::nearbyint(v[i] * inv);  // ties to even, like cvtps2dq
    r = std::fmin(127.0f, std::fmax(-127.0f, r));
    q[i] = static_cast<std::int8_t>(r);
  }
  *d = scale;
}
}  // namespace

void scalar::quantize_bf16_q8(const std::uint16_t* v, std::size_t n, std::int8_t* qs, float* d) {
  float block[kQ8Block];
  for (std::size_t b = 0; b < n / kQ8Block; ++b) {
    for (std::size_t i = 0; i < kQ8Block; ++i) block[i] = bf16_to_f32(v[b * kQ8Block + i]);
    quantize_block(block, qs + b * kQ8Block, d + b);
  }
}

void scalar::quantize_f32_q8(const float* v, std::size_t n, std::int8_t* qs, float* d) {
  for (std::size_t b = 0; b < n / kQ8Block; ++b) quantize_block(v + b * kQ8Block, qs + b * kQ8Block, d + b);
}

void scalar::dequantize_q8(const std::int8_t* qs, const float* d, std::size_t n, float* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(qs[i]) * d[i / kQ8Block];
}

void quantize_bf16_q8(const std::uint16_t* v, std::size_t n, std::int8_t* qs, float* d) {
  OSSA_KERNEL_DISPATCH(quantize_bf16_q8, v, n, qs, d);
}
void quantize_f32_q8(const float* v, std::size_t n, std::int8_t* qs, float* d) {
  OSSA_KERNEL_DISPATCH(quantize_f32_q8, v, n, qs, d);
}
void dequantize_q8(const std::int8_t* qs, const float* d, std::size_t n, float* y) {
  OSSA_KERNEL_DISPATCH(dequantize_q8, qs, d, n, y);
}

}  // namespace ossa::kernels
