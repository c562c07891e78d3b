// The MXFP4 x Q8 activation panel: its scalar reference and the dispatcher.
//
// Why the panel holds corrections: the SIMD products multiply unsigned weight bytes by signed
// activation bytes (vpdpbusd, vpmaddubsw), so a weight code is looked up as u = 2 v + 12, with
// v its E2M1 value (twice the value is an integer in [-12, 12]; u in [0, 24]). Then
// sum u x = 2 sum v x + 12 sum x, and each int32 lane starts from -12 times the sum of the
// eight combined activation integers it meets (mxfp4_q8_combined), which leaves exactly
// 2 sum v x; the lane's scale holds the 1/2.
#include "kernels/cpu/mxfp4_q8_panel.hpp"

#include <cmath>
#include <cstring>

#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/mxfp4.hpp"
#include "kernels/cpu/q8.hpp"

namespace ossa::kernels {
namespace {

// Round to nearest (ties away from zero: any rounding works, the next level takes the rest).
std::int32_t round_i(float v) { return static_cast<std::int32_t>(v + (v < 0.0f ? -0.5f : 0.5f)); }

// Levels 2 and 3 of one row: q2, q3 from what q1 d leaves of x (see the header).
void residual_levels(const float* x, std::size_t K, const std::int8_t* q1, const float* d, std::int8_t* q2,
                     std::int8_t* q3) {
  for (std::size_t g = 0; g < K / kMxfp4Group; ++g) {
    const float d1 = d[g];
    // Below 2^-100 the third step (d1 / 2^14) would leave the normal range.
    const bool zero = !(d1 >= 0x1p-100f);
    const float d2 = d1 * 0x1p-7f, d3 = d1 * 0x1p-14f, inv2 = zero ? 0.0f : 1.0f / d2, inv3 = zero ? 0.0f : 1.0f / d3;
    for (std::size_t k = g * kMxfp4Group; k < (g + 1) * kMxfp4Group; ++k) {
      const float r1 = std::fma(-static_cast<float>(q1[k]), d1, x[k]);
      const std::int32_t a = zero ? 0 : round_i(r1 * inv2);
      const float r2 = std::fma(-static_cast<float>(a), d2, r1);
      const std::int32_t b = zero ? 0 : round_i(r2 * inv3);
      // |r1| <= d/2 and |r2| <= d2/2 bound both by 64; the clamp only guards rounding.
      q2[k] = static_cast<std::int8_t>(a < -127 ? -127 : a > 127 ? 127 : a);
      q3[k] = static_cast<std::int8_t>(b < -127 ? -127 : b > 127 ? 127 : b);
    }
  }
}
}  // namespace

void shape_mxfp4_q8_panel(std::size_t T, std::size_t K, std::size_t levels, Mxfp4Q8Panel& p) {
  p.T = T;
  p.K = K;
  p.levels = levels == 3 ? 3 : 1;
  p.quads = (K + kMxfp4Q8Quad - 1) / kMxfp4Q8Quad;
  p.unit = mxfp4_q8_unit_bytes(p.levels);
  p.data.resize(T * p.quads * p.unit + 63);
  p.offset_ = (64 - reinterpret_cast<std::uintptr_t>(p.data.data()) % 64) % 64;
}

void scalar::prepare_mxfp4_q8(const float* x, std::size_t T, std::size_t K, std::size_t levels, Mxfp4Q8Panel& p) {
  shape_mxfp4_q8_panel(T, K, levels, p);
  thread_local std::vector<std::int8_t> qbuf;
  thread_local std::vector<float> d;
  qbuf.resize(3 * K);
  d.resize(K / kQ8Block);
  const std::int8_t* q[3] = {qbuf.data(), qbuf.data() + K, qbuf.data() + 2 * K};
  const std::size_t groups = K / kMxfp4Group;
  const float step = p.levels == 3 ? 0x1p-14f : 1.0f;
  for (std::size_t t = 0; t < T; ++t) {
    scalar::quantize_f32_q8(x + t * K, K, qbuf.data(), d.data());
    if (p.levels == 3) residual_levels(x + t * K, K, qbuf.data(), d.data(), qbuf.data() + K, qbuf.data() + 2 * K);
    std::uint8_t* unit = p.data.data() + p.offset_ + t * p.quads * p.unit;
    for (std::size_t u = 0; u < p.quads; ++u, unit += p.unit) {
      std::int32_t corr[16] = {};
      float scale[16] = {};
      // Only a row's last quad can be partial; a full one is written whole below.
      if ((u + 1) * kMxfp4Q8QuadGroups > groups) std::memset(unit, 0, 128 * p.levels);
      for (std::size_t L = 0; L < kMxfp4Q8QuadGroups; ++L) {
        const std::size_t g = u * kMxfp4Q8QuadGroups + L;
        if (g >= groups) break;
        for (std::size_t l = 0; l < p.levels; ++l) {
          auto* even = reinterpret_cast<std::int8_t*>(unit + 128 * l);
          for (std::size_t j = 0; j < 16; ++j) {
            even[L * 16 + j] = q[l][g * 32 + 2 * j];
            even[64 + L * 16 + j] = q[l][g * 32 + 2 * j + 1];
          }
        }
        for (std::size_t j = 0; j < 16; ++j)
          corr[L * 4 + j / 4] -=
              12 * (mxfp4_q8_combined(q, p.levels, g * 32 + 2 * j) + mxfp4_q8_combined(q, p.levels, g * 32 + 2 * j + 1));
        for (std::size_t i = 0; i < 4; ++i) scale[L * 4 + i] = 0.5f * d[g] * step;
      }
      std::memcpy(unit + 128 * p.levels, corr, sizeof corr);
      std::memcpy(unit + 128 * p.levels + 64, scale, sizeof scale);
    }
  }
}

void prepare_mxfp4_q8(const float* x, std::size_t T, std::size_t K, std::size_t levels, Mxfp4Q8Panel& p) {
  OSSA_KERNEL_DISPATCH(prepare_mxfp4_q8, x, T, K, levels, p);
}

}  // namespace ossa::kernels
