#include "engine/quantize_q8.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "engine/model.hpp"
#include "engine/thread_pool.hpp"

#include "kernels/cpu/q8.hpp"

namespace ossa::engine {
namespace {
using kernels::kQ8Block;

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// Drops the whole pages inside [p, p + bytes): the bf16 copy is not read again. Partial pages
// at the ends may hold a neighbouring tensor and stay.
void release(ModelWeights& w, Q8Store& store, const void* p, std::size_t bytes) {
  static const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t lo = (a + page - 1) / page * page, hi = (a + bytes) / page * page;
  if (hi > lo) {
    // The mapping is shared and read-only: dropping only unmaps the pages from this process
    // (they stay in the page cache), so a later read would be correct, just slow.
    ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
  }
  w.released.emplace_back(static_cast<const std::uint8_t*>(p), bytes);
  store.released_bytes += bytes;
}

// rows x K bf16 -> a Q8 copy, rows split over the pool, then the bf16 pages are dropped.
Q8Matrix quantize(ThreadPool& pool, ModelWeights& w, Q8Store& store, const std::uint16_t*& src,
                  std::size_t rows, std::size_t K) {
  auto qs = std::make_unique<std::int8_t[]>(rows * K);
  auto d = std::make_unique<float[]>(rows * K / kQ8Block);
  const std::uint16_t* from = src;
  std::int8_t* q = qs.get();
  float* s = d.get();
  pool.parallel_for(rows, [&](std::size_t r0, std::size_t r1) {
    kernels::quantize_bf16_q8(from + r0 * K, (r1 - r0) * K, q + r0 * K, s + r0 * K / kQ8Block);
  });
  release(w, store, from, rows * K * sizeof(std::uint16_t));
  src = nullptr;
  store.bytes += kernels::q8_row_bytes(K) * rows;
  Q8Matrix m{qs.get(), d.get()};
  store.values.push_back(std::move(qs));
  store.scales.push_back(std::move(d));
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
