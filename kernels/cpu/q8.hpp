#pragma once
// The Q8 format (like ggml's Q8_0): a row of n values (n a multiple of 32) is cut into blocks
// of 32, each stored as 32 int8 values q and one fp32 scale d = max|v| / 127, so v ~ q * d and
// |v - q d| <= d / 2. The int8 values of a row are contiguous (qs + row * n) and its scales too
// (d + row * n / 32), so a matrix is two arrays. Weights are quantized once at load; the
// activation row of a product is quantized per call so that the dot products are integer
// (matmul_q8.hpp).
//
// Rounding is to nearest, ties to even (the SIMD conversion's), so every version gives the
// same bits; an all-zero block gets d = 0 and q = 0.
#include <cstddef>
#include <cstdint>

#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {

inline constexpr std::size_t kQ8Block = 32;
// Bytes of a Q8 row of n values: n int8 values and n / 32 fp32 scales.
constexpr std::size_t q8_row_bytes(std::size_t n) { return n + n / kQ8Block * sizeof(float); }

OSSA_KERNEL_VARIANTS(void quantize_bf16_q8(const std::uint16_t* v, std::size_t n, std::int8_t* qs, float* d))
OSSA_KERNEL_VARIANTS(void quantize_f32_q8(const float* v, std::size_t n, std::int8_t* qs, float* d))
// y[i] = qs[i] * d[i / 32]
OSSA_KERNEL_VARIANTS(void dequantize_q8(const std::int8_t* qs, const float* d, std::size_t n, float* y))

}  // namespace ossa::kernels
