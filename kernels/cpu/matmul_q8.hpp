#pragma once
// Products of fp32 activations with Q8 weights (q8.hpp), with integer dot products as
// llama.cpp does for Q8_0: each activation row is quantized to int8 blocks of 32 too, every
// block pair gives an exact int32 sum, scaled by the two blocks' scales in fp32.
//
// Shapes as matmul_bf16 (matmul.hpp): x is T rows of K floats, W is N rows of K (wq: N*K int8,
// wd: N*K/32 scales), only output columns [n0, n1) are computed, y has row stride ldy, bias
// (bf16, N entries) may be null. K must be a multiple of 32.
//   y[t*ldy + n] = bias[n] + sum_b xd[t][b] * wd[n][b] * sum_{k in b} xq[t][k] * wq[n][k]
#include <cstddef>
#include <cstdint>

#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {

// Quantizes x (per thread, into thread-local scratch) and runs matmul_q8_int8.
void matmul_q8(const float* x, std::size_t T, std::size_t K, const std::int8_t* wq, const float* wd,
               const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1);

// The product with x already quantized (xq: T*K int8, xd: T*K/32 scales; quantize_f32_q8 per
// row), so that threads splitting N share one quantized x. avx512:: uses VNNI (vpdpbusd) when
// the CPU has it (has_avx512_vnni()), else AVX-512BW's vpmaddubsw.
OSSA_KERNEL_VARIANTS(void matmul_q8_int8(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K,
                                         const std::int8_t* wq, const float* wd, const std::uint16_t* bias,
                                         float* y, std::size_t ldy, std::size_t n0, std::size_t n1))

// The two AVX-512 versions behind avx512::matmul_q8_int8, for tests and benchmarks. Call
// matmul_q8_int8_vnni only when has_avx512_vnni().
namespace avx512 {
void matmul_q8_int8_bw(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K,
                       const std::int8_t* wq, const float* wd, const std::uint16_t* bias, float* y,
                       std::size_t ldy, std::size_t n0, std::size_t n1);
void matmul_q8_int8_vnni(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K,
                         const std::int8_t* wq, const float* wd, const std::uint16_t* bias, float* y,
                         std::size_t ldy, std::size_t n0, std::size_t n1);
}  // namespace avx512

// AVX-512 VNNI present (probed once with __builtin_cpu_supports, never assumed).
bool has_avx512_vnni();
// The path matmul_q8 takes now: "scalar", "avx2", "avx512" or "avx512-vnni".
const char* q8_path_name();

}  // namespace ossa::kernels
