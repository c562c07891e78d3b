// The scalar reference of the MXFP4 x Q8 product and its dispatchers. The panel's corrections
// (mxfp4_q8_panel.cpp) leave each lane's integer sum at exactly 2 sum v x; the lane's scale
// holds the 1/2.
#include "kernels/cpu/matmul_mxfp4_q8.hpp"

#include <cstring>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul_q8.hpp"
#include "kernels/cpu/mxfp4.hpp"

namespace ossa::kernels {
namespace {

// Twice the E2M1 value of a code: an exact integer.
int code_twice(unsigned code) { return static_cast<int>(2.0f * mxfp4_code_value(code)); }

}  // namespace

void scalar::matmul_mxfp4_q8(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                             const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  const std::size_t groups = x.K / kMxfp4Group;
  for (std::size_t n = n0; n < n1; ++n) {
    const std::uint8_t* wb = blocks + n * groups * kMxfp4GroupBytes;
    const std::uint8_t* ws = scales + n * groups;
    const float b = bias ? bf16_to_f32(bias[n]) : 0.0f;
    for (std::size_t t = 0; t < x.T; ++t) {
      double acc = 0.0;
      for (std::size_t g = 0; g < groups; ++g) {
        const std::uint8_t* unit = x.row(t) + (g / kMxfp4Q8QuadGroups) * x.unit;
        const std::size_t L = g % kMxfp4Q8QuadGroups;
        const std::int8_t* q[3] = {};
        for (std::size_t l = 0; l < x.levels; ++l) q[l] = reinterpret_cast<const std::int8_t*>(unit + 128 * l) + L * 16;
        float half_d;
        std::memcpy(&half_d, unit + 128 * x.levels + 64 + L * 16, sizeof half_d);
        std::int64_t isum = 0;
        for (std::size_t j = 0; j < 16; ++j) {
          const std::uint8_t byte = wb[g * kMxfp4GroupBytes + j];
          isum += static_cast<std::int64_t>(code_twice(byte & 15u)) * mxfp4_q8_combined(q, x.levels, j) +
                  static_cast<std::int64_t>(code_twice(byte >> 4)) * mxfp4_q8_combined(q, x.levels, 64 + j);
        }
        acc += static_cast<double>(half_d) * mxfp4_scale_value(ws[g]) * static_cast<double>(isum);
      }
      y[t * ldy + n] = static_cast<float>(acc) + b;
    }
  }
}

void avx512::matmul_mxfp4_q8(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                             const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  if (has_avx512_vnni()) return matmul_mxfp4_q8_vnni(x, blocks, scales, bias, y, ldy, n0, n1);
  matmul_mxfp4_q8_bw(x, blocks, scales, bias, y, ldy, n0, n1);
}

void matmul_mxfp4_q8(const Mxfp4Q8Panel& x, const std::uint8_t* blocks, const std::uint8_t* scales,
                     const std::uint16_t* bias, float* y, std::size_t ldy, std::size_t n0, std::size_t n1) {
  OSSA_KERNEL_DISPATCH(matmul_mxfp4_q8, x, blocks, scales, bias, y, ldy, n0, n1);
}

}  // namespace ossa::kernels
