#include "kernels/cpu/matmul.hpp"

#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul_variants.hpp"

namespace ossa::kernels {

void matmul_bf16(const float* x, std::size_t T, std::size_t K, const uint16_t* w,
                 const uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  switch (active_isa()) {
    case Isa::avx512: return avx512::matmul_bf16(x, T, K, w, bias, y, ldy, n0, n1);
    case Isa::avx2: return avx2::matmul_bf16(x, T, K, w, bias, y, ldy, n0, n1);
    case Isa::scalar: break;
  }
  scalar::matmul_bf16(x, T, K, w, bias, y, ldy, n0, n1);
}

void matmul_mxfp4(const float* x, std::size_t T, std::size_t K, const uint8_t* blocks,
                  const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy,
                  std::size_t n0, std::size_t n1) {
  switch (active_isa()) {
    case Isa::avx512: return avx512::matmul_mxfp4(x, T, K, blocks, scales, bias, y, ldy, n0, n1);
    case Isa::avx2: return avx2::matmul_mxfp4(x, T, K, blocks, scales, bias, y, ldy, n0, n1);
    case Isa::scalar: break;
  }
  scalar::matmul_mxfp4(x, T, K, blocks, scales, bias, y, ldy, n0, n1);
}

float dot_f32(const float* a, const float* b, std::size_t n) {
  switch (active_isa()) {
    case Isa::avx512: return avx512::dot_f32(a, b, n);
    case Isa::avx2: return avx2::dot_f32(a, b, n);
    case Isa::scalar: break;
  }
  return scalar::dot_f32(a, b, n);
}

void axpy_f32(float alpha, const float* x, float* y, std::size_t n) {
  switch (active_isa()) {
    case Isa::avx512: return avx512::axpy_f32(alpha, x, y, n);
    case Isa::avx2: return avx2::axpy_f32(alpha, x, y, n);
    case Isa::scalar: break;
  }
  scalar::axpy_f32(alpha, x, y, n);
}

}  // namespace ossa::kernels
