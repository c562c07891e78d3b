// Scalar reference (a partial sort) and the dispatcher.
#include "kernels/cpu/routing.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/cpu/isa.hpp"

namespace ossa::kernels {

void scalar::topk_softmax(const float* logits, std::size_t T, std::size_t E, std::size_t K, std::int32_t* idx,
                          float* weight) {
  std::vector<std::int32_t> order(E);
  for (std::size_t t = 0; t < T; ++t) {
    const float* g = logits + t * E;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(K), order.end(),
                      [&](std::int32_t a, std::int32_t b) { return g[a] > g[b] || (g[a] == g[b] && a < b); });
    const float mx = g[order[0]];
    float sum = 0.0f;
    for (std::size_t j = 0; j < K; ++j) {
      weight[t * K + j] = std::exp(g[order[j]] - mx);
      sum += weight[t * K + j];
    }
    for (std::size_t j = 0; j < K; ++j) {
      weight[t * K + j] /= sum;
      idx[t * K + j] = order[j];
    }
  }
}

void topk_softmax(const float* logits, std::size_t T, std::size_t E, std::size_t K, std::int32_t* idx,
                  float* weight) {
  OSSA_KERNEL_DISPATCH(topk_softmax, logits, T, E, K, idx, weight);
}

}  // namespace ossa::kernels
