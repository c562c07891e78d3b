#pragma once
// MXFP4 weights (mxfp4.hpp) times int8 activations, with integer dot products as llama.cpp
// does for its MXFP4 type: each activation row is quantized to Q8 blocks of 32 (q8.hpp), which
// line up with the MXFP4 groups of 32, so every (group, block) pair gives an exact int32 sum
// that is scaled once in fp32. This reads the 4-bit weights at a few instructions per 64 of
// them instead of widening every weight to fp32 (matmul_mxfp4), at the cost of rounding the
// activations to 8 bits (|error| <= d/2 per value, d = block max / 127).
//
//   y[t*ldy + n] = bias[n] + sum_g xd[t][g] * 2^(s[n][g]-127) * sum_{k in g} xq[t][k] * code[n][k]
//
// The activations are first laid out as a panel (prepare_mxfp4_q8) in the order the packed
// weights come in, so that the kernels never shuffle activations: per 128 columns (four
// groups), element 2j of group L at even[16 L + j] and element 2j+1 at odd[16 L + j], matching
// the low and high nibbles of the weight bytes; and the per-lane corrections and scales the
// SIMD versions need (see matmul_mxfp4_q8.cpp). Every version reads the same panel.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {

// Columns per panel unit: four MXFP4 groups, one 512-bit register of packed weights.
inline constexpr std::size_t kMxfp4Q8Quad = 128;
// Bytes of a panel unit: even[64], odd[64] (int8), corr[16] (int32), scale[16] (float).
inline constexpr std::size_t kMxfp4Q8QuadBytes = 256;

// T activation rows of K columns (K a multiple of 32), quantized and laid out for the product.
struct Mxfp4Q8Panel {
  std::size_t T = 0, K = 0;
  std::size_t quads = 0;       // ceil(K / 128); a partial last quad is zero-padded
  std::vector<std::uint8_t> data;  // T * quads * 256 bytes, 64-byte aligned units
  const std::uint8_t* row(std::size_t t) const { return data.data() + offset_ + t * quads * kMxfp4Q8QuadBytes; }

  std::size_t offset_ = 0;  // to the first 64-byte aligned byte of data
};

// Quantizes x (T rows of K floats) into p, reusing p's memory.
void prepare_mxfp4_q8(const float* x, std::size_t T, std::size_t K, Mxfp4Q8Panel& p);

// The product over output rows [n0, n1), weights as matmul_mxfp4 takes them (row n is
// blocks + n*(K/32)*16 with scales + n*(K/32)); y has row stride ldy; bias (bf16) may be null.
OSSA_KERNEL_VARIANTS(void matmul_mxfp4_q8(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                                          const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0,
                                          std::size_t n1))

// The two AVX-512 versions behind avx512::matmul_mxfp4_q8, for tests and benchmarks. Call
// matmul_mxfp4_q8_vnni only when has_avx512_vnni() (matmul_q8.hpp).
namespace avx512 {
void matmul_mxfp4_q8_bw(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                        const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1);
void matmul_mxfp4_q8_vnni(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                          const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1);
}  // namespace avx512

}  // namespace ossa::kernels
