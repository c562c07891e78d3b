// K passes of a vector maximum over the row (chosen experts masked to -inf), each followed by
// a scan for the first index holding it, which keeps the scalar reference's tie order.
#include <math.h>
#include <stdlib.h>

#include "kernels/cpu/routing.hpp"
#include "kernels/cpu/simd_traits.hpp"

namespace ossa::kernels::OSSA_SIMD_NS {

void topk_softmax(const float* logits, std::size_t T, std::size_t E, std::size_t K, std::int32_t* idx,
                  float* weight) {
  constexpr std::size_t W = V::width;
  float* g = static_cast<float*>(malloc(E * sizeof(float) + 1));
  if (!g) abort();
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t e = 0; e < E; ++e) g[e] = logits[t * E + e];
    for (std::size_t j = 0; j < K; ++j) {
      V::reg vm = V::set1(-INFINITY);
      std::size_t e = 0;
      for (; e + W <= E; e += W) vm = V::max(vm, V::loadu(g + e));
      float m = V::reduce_max(vm);
      for (; e < E; ++e) m = g[e] > m ? g[e] : m;
      std::size_t at = 0;
      while (at + 1 < E && !(g[at] == m)) ++at;
      idx[t * K + j] = static_cast<std::int32_t>(at);
      weight[t * K + j] = m;
      g[at] = -INFINITY;
    }
    const float mx = weight[t * K];
    float sum = 0.0f;
    for (std::size_t j = 0; j < K; ++j) {
      weight[t * K + j] = expf(weight[t * K + j] - mx);
      sum += weight[t * K + j];
    }
    for (std::size_t j = 0; j < K; ++j) weight[t * K + j] /= sum;
  }
  free(g);
}

}  // namespace ossa::kernels::OSSA_SIMD_NS
