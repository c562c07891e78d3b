// The readable reference: decode a weight row to fp32, then plain dot products. Accumulation
// is in double so the reference is a stricter yardstick than any SIMD ordering.
#include <vector>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/matmul_variants.hpp"
#include "kernels/cpu/mxfp4.hpp"

namespace ossa::kernels::scalar {
namespace {
void rows_times_x(const float* x, std::size_t T, std::size_t K, const float* row, float bias,
                  float* y, std::size_t ldy, std::size_t n) {
  for (std::size_t t = 0; t < T; ++t) {
    double acc = 0.0;
    for (std::size_t k = 0; k < K; ++k) acc += static_cast<double>(x[t * K + k]) * row[k];
    y[t * ldy + n] = static_cast<float>(acc) + bias;
  }
}
}  // namespace

void matmul_bf16(const float* x, std::size_t T, std::size_t K, const uint16_t* w,
                 const uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  std::vector<float> row(K);
  for (std::size_t n = n0; n < n1; ++n) {
    for (std::size_t k = 0; k < K; ++k) row[k] = bf16_to_f32(w[n * K + k]);
    rows_times_x(x, T, K, row.data(), bias ? bf16_to_f32(bias[n]) : 0.0f, y, ldy, n);
  }
}

void matmul_mxfp4(const float* x, std::size_t T, std::size_t K, const uint8_t* blocks,
                  const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy,
                  std::size_t n0, std::size_t n1) {
  const std::size_t groups = K / kMxfp4Group;
  std::vector<float> row(K);
  for (std::size_t n = n0; n < n1; ++n) {
    mxfp4_decode_row(blocks + n * groups * kMxfp4GroupBytes, scales + n * groups, K, row.data());
    rows_times_x(x, T, K, row.data(), bias ? bf16_to_f32(bias[n]) : 0.0f, y, ldy, n);
  }
}

float dot_f32(const float* a, const float* b, std::size_t n) {
  double acc = 0.0;
  for (std::size_t i = 0; i < n; ++i) acc += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(acc);
}

void axpy_f32(float alpha, const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace ossa::kernels::scalar
