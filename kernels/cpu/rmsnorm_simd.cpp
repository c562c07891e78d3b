// RMSNorm with vector sums of squares (two chains) and a vector scale-by-gain.
#include <math.h>

#include "kernels/cpu/rmsnorm.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {

void rmsnorm(const float* x, std::size_t T, std::size_t H, const std::uint16_t* gain, float eps, float* y) {
  constexpr std::size_t W = V::width;
  for (std::size_t t = 0; t < T; ++t) {
    const float* xr = x + t * H;
    float* yr = y + t * H;
    V::reg s0 = V::zero(), s1 = V::zero();
    std::size_t h = 0;
    for (; h + 2 * W <= H; h += 2 * W) {
      const V::reg a = V::loadu(xr + h), b = V::loadu(xr + h + W);
      s0 = V::fma(a, a, s0);
      s1 = V::fma(b, b, s1);
    }
    float ss = V::reduce(V::add(s0, s1));
    for (; h < H; ++h) ss += xr[h] * xr[h];
    const float r = 1.0f / sqrtf(ss / static_cast<float>(H) + eps);
    const V::reg vr = V::set1(r);
    h = 0;
    for (; h + W <= H; h += W) V::storeu(yr + h, V::mul(V::mul(V::loadu(xr + h), vr), V::load_bf16(gain + h)));
    for (; h < H; ++h) yr[h] = xr[h] * r * simd_bf16(gain[h]);
  }
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
