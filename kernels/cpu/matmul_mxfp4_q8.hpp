#pragma once
// MXFP4 weights (mxfp4.hpp) times activations held as int8, with integer dot products as
// llama.cpp does for its MXFP4 type: each activation row is quantized in blocks of 32 (q8.hpp),
// which line up with the MXFP4 groups of 32, so every (group, block) pair gives an exact int32
// sum that is scaled once in fp32. This reads the 4-bit weights at a few instructions per 64 of
// them instead of widening every weight to fp32 (matmul_mxfp4).
//
// The activations come as a panel (mxfp4_q8_panel.hpp): int8 blocks at one or three levels,
// laid out in the order the packed weights come in, so that the kernels never shuffle them.
//
//   y[t*ldy + n] = bias[n] + sum_g d[t][g] * 2^(s[n][g]-127) * sum_{k in g} xq[t][k] * code[n][k]
#include <cstddef>
#include <cstdint>

#include "kernels/cpu/mxfp4_q8_panel.hpp"
#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {

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
