// The activation panel, the scalar reference of the MXFP4 x Q8 product and its dispatchers.
//
// Why the panel holds corrections: the SIMD versions multiply unsigned weight bytes by signed
// activation bytes (vpdpbusd, vpmaddubsw), so a weight code is looked up as u = 2 v + 12, with
// v its E2M1 value (twice the value is an integer in [-12, 12]; u in [0, 24]). Then
// sum u x = 2 sum v x + 12 sum x, and each int32 lane starts from -12 times the sum of the
// eight activations it meets, which leaves exactly 2 sum v x; the lane's scale holds the 1/2.
#include "kernels/cpu/matmul_mxfp4_q8.hpp"

#include <cmath>
#include <cstring>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul_q8.hpp"
#include "kernels/cpu/mxfp4.hpp"
#include "kernels/cpu/q8.hpp"

namespace ossa::kernels {
namespace {
constexpr std::size_t kGroupsPerQuad = kMxfp4Q8Quad / kMxfp4Group;

// Twice the E2M1 value of a code: an exact integer.
int code_twice(unsigned code) {
  static constexpr int kTwice[8] = {0, 1, 2, 3, 4, 6, 8, 12};
  const int m = kTwice[code & 7u];
  return (code & 8u) ? -m : m;
}
}  // namespace

void prepare_mxfp4_q8(const float* x, std::size_t T, std::size_t K, Mxfp4Q8Panel& p) {
  p.T = T;
  p.K = K;
  p.quads = (K + kMxfp4Q8Quad - 1) / kMxfp4Q8Quad;
  p.data.resize(T * p.quads * kMxfp4Q8QuadBytes + 63);
  p.offset_ = (64 - reinterpret_cast<std::uintptr_t>(p.data.data()) % 64) % 64;
  thread_local std::vector<std::int8_t> q;
  thread_local std::vector<float> d;
  q.resize(K);
  d.resize(K / kQ8Block);
  const std::size_t groups = K / kMxfp4Group;
  for (std::size_t t = 0; t < T; ++t) {
    quantize_f32_q8(x + t * K, K, q.data(), d.data());
    std::uint8_t* unit = p.data.data() + p.offset_ + t * p.quads * kMxfp4Q8QuadBytes;
    for (std::size_t u = 0; u < p.quads; ++u, unit += kMxfp4Q8QuadBytes) {
      auto* even = reinterpret_cast<std::int8_t*>(unit);
      auto* odd = even + 64;
      std::int32_t corr[16] = {};
      float scale[16] = {};
      std::memset(unit, 0, 128);
      for (std::size_t L = 0; L < kGroupsPerQuad; ++L) {
        const std::size_t g = u * kGroupsPerQuad + L;
        if (g >= groups) break;
        for (std::size_t j = 0; j < 16; ++j) {
          even[L * 16 + j] = q[g * 32 + 2 * j];
          odd[L * 16 + j] = q[g * 32 + 2 * j + 1];
          corr[L * 4 + j / 4] -= 12 * (even[L * 16 + j] + odd[L * 16 + j]);
        }
        for (std::size_t i = 0; i < 4; ++i) scale[L * 4 + i] = 0.5f * d[g];
      }
      std::memcpy(unit + 128, corr, sizeof corr);
      std::memcpy(unit + 192, scale, sizeof scale);
    }
  }
}

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
        const std::uint8_t* unit = x.row(t) + (g / kGroupsPerQuad) * kMxfp4Q8QuadBytes;
        const std::size_t L = g % kGroupsPerQuad;
        const auto* even = reinterpret_cast<const std::int8_t*>(unit) + L * 16;
        const auto* odd = even + 64;
        float half_d;
        std::memcpy(&half_d, unit + 192 + L * 16, sizeof half_d);
        std::int32_t isum = 0;
        for (std::size_t j = 0; j < 16; ++j) {
          const std::uint8_t byte = wb[g * kMxfp4GroupBytes + j];
          isum += code_twice(byte & 15u) * even[j] + code_twice(byte >> 4) * odd[j];
        }
        acc += static_cast<double>(half_d) * mxfp4_scale_value(ws[g]) * isum;
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
