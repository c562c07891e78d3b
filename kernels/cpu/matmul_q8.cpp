// Scalar reference of the Q8 product (exact int32 block sums, scaled and summed in double) and
// the dispatchers.
#include "kernels/cpu/matmul_q8.hpp"

#include <vector>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/q8.hpp"

namespace ossa::kernels {

void scalar::matmul_q8_int8(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K,
                            const std::int8_t* wq, const float* wd, const std::uint16_t* bias, float* y,
                            std::size_t ldy, std::size_t n0, std::size_t n1) {
  const std::size_t blocks = K / kQ8Block;
  for (std::size_t n = n0; n < n1; ++n) {
    const float b = bias ? bf16_to_f32(bias[n]) : 0.0f;
    for (std::size_t t = 0; t < T; ++t) {
      double acc = 0.0;
      for (std::size_t g = 0; g < blocks; ++g) {
        std::int32_t isum = 0;
        for (std::size_t i = 0; i < kQ8Block; ++i) {
          const std::size_t k = g * kQ8Block + i;
          isum += static_cast<std::int32_t>(xq[t * K + k]) * wq[n * K + k];
        }
        acc += static_cast<double>(xd[t * blocks + g]) * wd[n * blocks + g] * isum;
      }
      y[t * ldy + n] = static_cast<float>(acc) + b;
    }
  }
}

bool has_avx512_vnni() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool vnni = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") != 0;
  }();
  return vnni && detected_isa() == Isa::avx512;
#else
  return false;
#endif
}

void avx512::matmul_q8_int8(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K,
                            const std::int8_t* wq, const float* wd, const std::uint16_t* bias, float* y,
                            std::size_t ldy, std::size_t n0, std::size_t n1) {
  if (has_avx512_vnni()) return matmul_q8_int8_vnni(xq, xd, T, K, wq, wd, bias, y, ldy, n0, n1);
  matmul_q8_int8_bw(xq, xd, T, K, wq, wd, bias, y, ldy, n0, n1);
}

void matmul_q8_int8(const std::int8_t* xq, const float* xd, std::size_t T, std::size_t K, const std::int8_t* wq,
                    const float* wd, const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0,
                    std::size_t n1) {
  OSSA_KERNEL_DISPATCH(matmul_q8_int8, xq, xd, T, K, wq, wd, bias, y, ldy, n0, n1);
}

void matmul_q8(const float* x, std::size_t T, std::size_t K, const std::int8_t* wq, const float* wd,
               const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  thread_local std::vector<std::int8_t> xq;
  thread_local std::vector<float> xd;
  xq.resize(T * K);
  xd.resize(T * K / kQ8Block);
  for (std::size_t t = 0; t < T; ++t) quantize_f32_q8(x + t * K, K, &xq[t * K], &xd[t * K / kQ8Block]);
  matmul_q8_int8(xq.data(), xd.data(), T, K, wq, wd, bias, y, ldy, n0, n1);
}

const char* q8_path_name() {
  switch (active_isa()) {
    case Isa::avx512: return has_avx512_vnni() ? "avx512-vnni" : "avx512";
    case Isa::avx2: return "avx2";
    case Isa::scalar: break;
  }
  return "scalar";
}

}  // namespace ossa::kernels
