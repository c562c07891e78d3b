#pragma once
// The per-ISA implementations behind matmul.hpp, exposed so tests and benchmarks can compare
// them with each other. Call an avx2/avx512 function only when detected_isa() allows it.
#include <cstddef>
#include <cstdint>

#define OSSA_KERNELS_DECLARE_VARIANT(ns)                                                       \
  namespace ns {                                                                               \
  void matmul_bf16(const float* x, std::size_t T, std::size_t K, const uint16_t* w,             \
                   const uint16_t* bias, float* y, std::size_t ldy, std::size_t n0,             \
                   std::size_t n1);                                                            \
  void matmul_mxfp4(const float* x, std::size_t T, std::size_t K, const uint8_t* blocks,        \
                    const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy,     \
                    std::size_t n0, std::size_t n1);                                           \
  float dot_f32(const float* a, const float* b, std::size_t n);                                \
  void axpy_f32(float alpha, const float* x, float* y, std::size_t n);                         \
  }

namespace ossa::kernels {
OSSA_KERNELS_DECLARE_VARIANT(scalar)
OSSA_KERNELS_DECLARE_VARIANT(avx2)
OSSA_KERNELS_DECLARE_VARIANT(avx512)
}  // namespace ossa::kernels

#undef OSSA_KERNELS_DECLARE_VARIANT
