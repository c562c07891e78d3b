// De-interleaves W pairs at a time into two vectors, then clamps, a vector exp for the
// sigmoid, and the product.
#include "kernels/cpu/simd_traits.hpp"
#include "kernels/cpu/swiglu.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {

void swiglu(const float* h, std::size_t T, std::size_t I, float alpha, float limit, float* out) {
  constexpr std::size_t W = V::width;
  const V::reg lim = V::set1(limit), nlim = V::set1(-limit), one = V::set1(1.0f), nalpha = V::set1(-alpha);
  alignas(64) float g[W], l[W];
  for (std::size_t r = 0; r < T; ++r) {
    const float* hr = h + r * 2 * I;
    float* o = out + r * I;
    for (std::size_t j = 0; j < I; j += W) {
      const std::size_t n = I - j < W ? I - j : W;
      for (std::size_t i = 0; i < W; ++i) {
        g[i] = i < n ? hr[2 * (j + i)] : 0.0f;
        l[i] = i < n ? hr[2 * (j + i) + 1] : 0.0f;
      }
      const V::reg gv = V::min(V::loadu(g), lim);
      const V::reg lv = V::max(V::min(V::loadu(l), lim), nlim);
      const V::reg sig = V::div(gv, V::add(one, V::exp(V::mul(nalpha, gv))));
      V::storeu(g, V::mul(sig, V::add(lv, one)));
      for (std::size_t i = 0; i < n; ++i) o[j + i] = g[i];
    }
  }
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
