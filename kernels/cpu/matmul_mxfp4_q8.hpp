#pragma once
// MXFP4 weights (mxfp4.hpp) times activations held as int8, with integer dot products as
// llama.cpp does for its MXFP4 type: each activation row is quantized in blocks of 32 (q8.hpp),
// which line up with the MXFP4 groups of 32, so every (group, block) pair gives an exact int32
// sum that is scaled once in fp32. This reads the 4-bit weights at a few instructions per 64 of
// them instead of widening every weight to fp32 (matmul_mxfp4).
//
// An activation block is held at one or three levels of int8: level 1 is x ~ q1 d (d = block
// max / 127, |error| <= d/2, the --weights-q8 experts option); levels 2 and 3 quantize what is
// left with steps d/2^7 and d/2^14, so x = d (q1 + q2/2^7 + q3/2^14) to within d/2^15 = block
// max / 2^22, about fp32's own rounding: the engine's default path. The three levels combine
// into one integer per lane (q1 2^14 + q2 2^7 + q3 fits with room in int32).
//
//   y[t*ldy + n] = bias[n] + sum_g d[t][g] * 2^(s[n][g]-127) * sum_{k in g} xq[t][k] * code[n][k]
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
// Bytes of a panel unit: per level even[64], odd[64] (int8); then corr[16] (int32) and
// scale[16] (float).
constexpr std::size_t mxfp4_q8_unit_bytes(std::size_t levels) { return 128 * levels + 128; }

// T activation rows of K columns (K a multiple of 32), quantized and laid out for the product.
struct Mxfp4Q8Panel {
  std::size_t T = 0, K = 0;
  std::size_t levels = 1;          // 1 or 3
  std::size_t quads = 0;           // ceil(K / 128); a partial last quad is zero-padded
  std::size_t unit = 0;            // mxfp4_q8_unit_bytes(levels)
  std::vector<std::uint8_t> data;  // T * quads * unit bytes, 64-byte aligned units
  const std::uint8_t* row(std::size_t t) const { return data.data() + offset_ + t * quads * unit; }

  std::size_t offset_ = 0;  // to the first 64-byte aligned byte of data
};

// Quantizes x (T rows of K floats) at `levels` (1 or 3) into p, reusing p's memory. Blocks
// whose largest value is below 2^-100 count as zero.
void prepare_mxfp4_q8(const float* x, std::size_t T, std::size_t K, std::size_t levels, Mxfp4Q8Panel& p);

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
