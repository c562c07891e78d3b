#pragma once
// Matrix products of fp32 activations with weights kept in their checkpoint format. These entry
// points dispatch to the scalar reference or the AVX2 / AVX-512 version (active_isa()).
//
// Shapes: x is T rows of K floats (row stride K). W is N rows of K ("output rows by input
// columns", like a Linear weight). Only output columns [n0, n1) are computed, so a caller can
// split N across threads; y has row stride ldy. bias (bf16, N entries) may be null.
//   y[t*ldy + n] = bias[n] + sum_k x[t*K + k] * W[n][k]      for t < T, n0 <= n < n1
#include <cstddef>
#include <cstdint>

namespace ossa::kernels {

// W: N x K bf16, row-major.
void matmul_bf16(const float* x, std::size_t T, std::size_t K, const uint16_t* w,
                 const uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1);

// W in MXFP4 (see mxfp4.hpp): row n is blocks + n*(K/32)*16 with scales + n*(K/32).
// K must be a multiple of 32.
void matmul_mxfp4(const float* x, std::size_t T, std::size_t K, const uint8_t* blocks,
                  const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy,
                  std::size_t n0, std::size_t n1);

// sum_i a[i] * b[i]
float dot_f32(const float* a, const float* b, std::size_t n);
// y[i] += alpha * x[i]
void axpy_f32(float alpha, const float* x, float* y, std::size_t n);

}  // namespace ossa::kernels
