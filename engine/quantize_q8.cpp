#include "engine/quantize_q8.hpp"

#include <string>

#include "engine/model.hpp"
#include "engine/thread_pool.hpp"

#include "kernels/cpu/q8.hpp"

namespace ossa::engine {
namespace {
using kernels::kQ8Block;

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// rows x K bf16 -> a Q8 copy, rows split over the pool, then the bf16 pages are dropped (the
// bf16 copy is not read again).
Q8Matrix quantize(ThreadPool& pool, ModelWeights& w, Q8Store& store, const std::uint16_t*& src,
                  std::size_t rows, std::size_t K) {
  // On huge pages, as the CPU backend's copy of the other streamed weights (huge_pages.hpp).
  HugeBuffer qs(rows * K), d(rows * K / kQ8Block * sizeof(float));
  const std::uint16_t* from = src;
  auto* q = reinterpret_cast<std::int8_t*>(qs.data());
  auto* s = reinterpret_cast<float*>(d.data());
  pool.parallel_for(rows, [&](std::size_t r0, std::size_t r1) {
    kernels::quantize_bf16_q8(from + r0 * K, (r1 - r0) * K, q + r0 * K, s + r0 * K / kQ8Block);
  });
  drop_mapped_pages(w, from, rows * K * sizeof(std::uint16_t));
  store.released_bytes += rows * K * sizeof(std::uint16_t);
  src = nullptr;
  store.bytes += kernels::q8_row_bytes(K) * rows;
  Q8Matrix m{q, s};
  store.memory.push_back(std::move(qs));
  store.memory.push_back(std::move(d));
  return m;
}
}  // namespace

Q8Store quantize_weights(const ModelConfig& c, ModelWeights& w, const WeightsQ8& groups, unsigned threads) {
  Q8Store store;
  if (!groups.any()) return store;
  const std::size_t H = sz(c.hidden_size), V = sz(c.vocab_size), Q = sz(c.q_width()), KV = sz(c.kv_width());
  if (H % kQ8Block != 0 || Q % kQ8Block != 0)
    throw CheckpointError("--weights-q8: this checkpoint's hidden size " + std::to_string(H) + " or q width " +
                          std::to_string(Q) + " is not a multiple of 32 (the Q8 block)");
  ThreadPool pool(threads);
  if (groups.attention) {
    for (auto& l : w.layers) {
      l.q_q8 = quantize(pool, w, store, l.q_w, Q, H);
      l.k_q8 = quantize(pool, w, store, l.k_w, KV, H);
      l.v_q8 = quantize(pool, w, store, l.v_w, KV, H);
      l.out_q8 = quantize(pool, w, store, l.out_w, H, Q);
    }
  }
  if (groups.experts) {
    for (auto& l : w.layers) l.mlp1.int8_activations = l.mlp2.int8_activations = true;
  }
  if (groups.embedding) w.embedding_q8 = quantize(pool, w, store, w.embedding, V, H);
  if (groups.unembedding) w.unembedding_q8 = quantize(pool, w, store, w.unembedding, V, H);
  return store;
}

void embedding_row_q8(const Q8Matrix& table, std::size_t token, std::size_t H, float* x) {
  kernels::dequantize_q8(table.qs + token * H, table.d + token * H / kQ8Block, H, x);
}

}  // namespace ossa::engine
