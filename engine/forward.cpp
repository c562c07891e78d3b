// The forward pass as a sequence of kernel calls, following OpenAI's reference
// (gpt_oss/torch/model.py) with fp32 activations and the weights as stored (bf16 dense, MXFP4
// experts multiplied as 4-bit integer codes inside the kernels). A step runs many sequences at once: their rows are
// stacked, so every dense weight and every expert is read once per step.
#include "engine/forward.hpp"

#include <algorithm>
#include <cmath>

#include "engine/quantize_q8.hpp"
#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/matmul_mxfp4_q8.hpp"
#include "kernels/cpu/matmul_q8.hpp"
#include "kernels/cpu/q8.hpp"
#include "kernels/cpu/residual.hpp"
#include "kernels/cpu/rmsnorm.hpp"
#include "kernels/cpu/rope.hpp"
#include "kernels/cpu/routing.hpp"
#include "kernels/cpu/swiglu.hpp"

namespace ossa::engine {
namespace {
using kernels::bf16_to_f32;

constexpr float kSwigluAlpha = 1.702f;
// Below this many multiply-adds a product runs on the calling thread: waking the pool costs
// more than it saves.
constexpr std::size_t kParallelMinWork = 1u << 16;
// Below this many activation rows, quantizing the experts' panels stays on the calling thread.
constexpr std::size_t kParallelMinRows = 16;

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// Runs fn(n0, n1) over output rows [0, N): on the calling thread for a product of fewer than
// kParallelMinWork multiply-adds, else split over the pool.
template <class Fn>
void split_rows(ThreadPool& pool, std::size_t multiply_adds, std::size_t N, const Fn& fn) {
  if (multiply_adds < kParallelMinWork) return fn(std::size_t{0}, N);
  pool.parallel_for(N, fn, 8);
}

// y = x W^T + b for T rows, split over the pool by output rows.
void linear(ThreadPool& pool, const float* x, std::size_t T, std::size_t K, const std::uint16_t* w,
            const std::uint16_t* b, float* y, std::size_t N) {
  split_rows(pool, T * K * N, N, [&](std::size_t n0, std::size_t n1) { kernels::matmul_bf16(x, T, K, w, b, y, N, n0, n1); });
}

// A dense weight that --weights-q8 may have quantized (quantize_q8.hpp): x is quantized once,
// then every thread's rows use the same int8 copy.
void linear(ThreadPool& pool, const float* x, std::size_t T, std::size_t K, const std::uint16_t* w,
            const Q8Matrix& q8, const std::uint16_t* b, float* y, std::size_t N) {
  if (!q8) return linear(pool, x, T, K, w, b, y, N);
  // Per thread, so that two models stepping on two threads keep apart.
  thread_local std::vector<std::int8_t> xq;
  thread_local std::vector<float> xd;
  xq.resize(T * K);
  xd.resize(T * K / kernels::kQ8Block);
  // K is a multiple of the block, so no block spans two rows: the T rows quantize as one.
  kernels::quantize_f32_q8(x, T * K, xq.data(), xd.data());
  // Pointers, not the thread_local names: inside the lambda those would be each worker's own.
  const std::int8_t* qs = xq.data();
  const float* d = xd.data();
  split_rows(pool, T * K * N, N, [&](std::size_t n0, std::size_t n1) {
    kernels::matmul_q8_int8(qs, d, T, K, q8.qs, q8.d, b, y, N, n0, n1);
  });
}

// The chosen experts of one MXFP4 weight (stacked [E, N, K/32, 16]) in one pass over the
// pool. Expert experts[i] multiplies panels[i] (its rows' activations, quantized at three int8
// levels for fp32's precision, one with --weights-q8 experts; kernels/cpu/matmul_mxfp4_q8.hpp)
// into y + first[i] * N. One pass rather than one per expert: a decode step has four or more
// experts per layer, each too small to keep two threads streaming, and every pass costs a
// wake-up and a wait for the slowest thread. The output rows of all experts form one range
// that the pool splits; a thread's piece may span two experts.
void experts_product(ThreadPool& pool, const Mxfp4Weight& w, std::size_t K, std::size_t N,
                     std::span<const std::size_t> experts, std::span<const std::size_t> first,
                     std::span<const kernels::Mxfp4Q8Panel> panels, float* y) {
  const std::size_t g = K / 32;
  std::size_t multiply_adds = 0;
  for (const auto& p : panels) multiply_adds += p.T * K * N;
  split_rows(pool, multiply_adds, experts.size() * N, [&](std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0 / N; i < experts.size() && i * N < i1; ++i) {
      const std::size_t e = experts[i], n0 = std::max(i0, i * N) - i * N, n1 = std::min(i1, (i + 1) * N) - i * N;
      kernels::matmul_mxfp4_q8(panels[i], w.blocks + e * N * g * 16, w.scales + e * N * g, w.bias + e * N,
                               y + first[i] * N, N, n0, n1);
    }
  });
}

// Each chosen expert's rows of x (K columns, gathered expert after expert) quantized into its
// panel, experts shared out over the pool: a 256-token prefill chunk quantizes 1,024 rows per
// product, which the calling thread alone took a tenth of the step on while the others waited.
void prepare_panels(ThreadPool& pool, const float* x, std::size_t K, std::size_t levels,
                    std::span<const std::size_t> experts, std::span<const std::size_t> first,
                    const std::vector<std::vector<std::pair<std::size_t, float>>>& routed,
                    std::vector<kernels::Mxfp4Q8Panel>& panels) {
  const auto prepare = [&](std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0; i < i1; ++i)
      kernels::prepare_mxfp4_q8(x + first[i] * K, routed[experts[i]].size(), K, levels, panels[i]);
  };
  std::size_t rows = 0;
  for (std::size_t e : experts) rows += routed[e].size();
  // A decode step's few rows take microseconds, less than waking the pool.
  if (rows < kParallelMinRows) return prepare(0, experts.size());
  pool.parallel_for(experts.size(), prepare);
}

void trace_rows(const TraceFn* trace, const std::string& name, const float* data, std::size_t rows, std::size_t cols) {
  if (trace) (*trace)(name, data, rows, cols);
}

// The rows of the step, sequence by sequence.
struct Rows {
  std::size_t total = 0;
  std::vector<std::size_t> first;  // first row of each sequence
};

Rows stack(std::span<const StepSequence> batch) {
  Rows r;
  for (const auto& s : batch) {
    r.first.push_back(r.total);
    r.total += s.tokens.size();
  }
  return r;
}

// AttentionBlock.forward: t = norm(x); q, k, v = qkv(t); rope(q, k); cache k, v;
// t = sdpa(q, cache, sinks, window); x = x + out(t).
void attention_block(CpuModel& m, std::size_t l, std::span<const StepSequence> batch, const Rows& rows,
                     const TraceFn* trace, const std::string& name) {
  const ModelConfig& c = m.config;
  const LayerWeights& w = m.weights.layers[l];
  const std::size_t T = rows.total, H = sz(c.hidden_size), Q = sz(c.q_width()), KV = sz(c.kv_width()),
                    d = sz(c.head_dim), Hq = sz(c.num_heads), Hkv = sz(c.num_kv_heads), B = m.kv.block_tokens;

  kernels::rmsnorm(m.x.data(), T, H, w.attn_norm, c.rms_norm_eps, m.t.data());
  trace_rows(trace, name + "attn.norm", m.t.data(), T, H);

  linear(m.pool, m.t.data(), T, H, w.q_w, w.q_q8, w.q_b, m.q.data(), Q);
  linear(m.pool, m.t.data(), T, H, w.k_w, w.k_q8, w.k_b, m.k.data(), KV);
  linear(m.pool, m.t.data(), T, H, w.v_w, w.v_q8, w.v_b, m.v.data(), KV);
  if (trace) {
    std::vector<float> qkv(T * (Q + 2 * KV));
    for (std::size_t r = 0; r < T; ++r) {
      std::copy_n(&m.q[r * Q], Q, &qkv[r * (Q + 2 * KV)]);
      std::copy_n(&m.k[r * KV], KV, &qkv[r * (Q + 2 * KV) + Q]);
      std::copy_n(&m.v[r * KV], KV, &qkv[r * (Q + 2 * KV) + Q + KV]);
    }
    trace_rows(trace, name + "attn.qkv", qkv.data(), T, Q + 2 * KV);
  }

  kernels::rope(m.q.data(), T, Hq, d, m.pos.data(), m.rope.inv_freq.data(), m.rope.concentration);
  kernels::rope(m.k.data(), T, Hkv, d, m.pos.data(), m.rope.inv_freq.data(), m.rope.concentration);
  trace_rows(trace, name + "attn.rope.q", m.q.data(), T, Q);
  trace_rows(trace, name + "attn.rope.k", m.k.data(), T, KV);

  // Each sequence's new keys and values go into its own blocks of this layer; the block
  // pointers of every sequence form its view of the cache.
  std::vector<std::vector<const float*>> views(batch.size());
  for (std::size_t s = 0; s < batch.size(); ++s) {
    const auto& table = (*batch[s].tables)[l];
    for (std::size_t i = 0; i < batch[s].tokens.size(); ++i) {
      const std::size_t r = rows.first[s] + i, p = m.pos[r];
      float* blk = m.block(table[p / B]);
      std::copy_n(&m.k[r * KV], KV, blk + (p % B) * KV);
      std::copy_n(&m.v[r * KV], KV, blk + (B + p % B) * KV);
    }
    views[s].resize(table.size());
    for (std::size_t b = 0; b < table.size(); ++b) views[s][b] = table[b] == kNoBlock ? nullptr : m.block(table[b]);
  }
  kernels::AttentionShape shape{Hq, Hkv, d, c.sliding[l] ? sz(c.sliding_window) : 0,
                                1.0f / std::sqrt(static_cast<float>(d)), m.sinks[l].data()};
  // Work items are (row, head) over all sequences; a thread's range may span sequences.
  m.pool.parallel_for(T * Hq, [&](std::size_t i0, std::size_t i1) {
    for (std::size_t s = 0; s < batch.size(); ++s) {
      const std::size_t a = rows.first[s] * Hq, e = a + batch[s].tokens.size() * Hq;
      const std::size_t lo = std::max(a, i0), hi = std::min(e, i1);
      if (lo >= hi) continue;
      kernels::KvView kv{views[s].data(), B, KV};
      kernels::attention(&m.q[rows.first[s] * Q], &m.pos[rows.first[s]], batch[s].tokens.size(), kv, shape,
                         &m.o[rows.first[s] * Q], lo - a, hi - a);
    }
  });
  trace_rows(trace, name + "attn.sdpa", m.o.data(), T, Q);

  linear(m.pool, m.o.data(), T, Q, w.out_w, w.out_q8, w.out_b, m.tmp.data(), H);
  kernels::residual_add(m.x.data(), m.tmp.data(), T * H);
  trace_rows(trace, name + "attn.resid", m.x.data(), T, H);
}

// MLPBlock.forward: t = norm(x); g = gate(t); top-k experts and their softmax weights;
// t = sum_k w_k mlp2(swiglu(mlp1_k(t))); x = x + t. Rows are grouped by expert across all
// sequences of the step, so each chosen expert's weights are read once.
void mlp_block(CpuModel& m, std::size_t l, std::size_t T, const TraceFn* trace, const std::string& name) {
  const ModelConfig& c = m.config;
  const LayerWeights& w = m.weights.layers[l];
  const std::size_t H = sz(c.hidden_size), E = sz(c.num_experts), K = sz(c.experts_per_token),
                    I = sz(c.intermediate_size);

  kernels::rmsnorm(m.x.data(), T, H, w.mlp_norm, c.rms_norm_eps, m.t.data());
  trace_rows(trace, name + "mlp.norm", m.t.data(), T, H);
  linear(m.pool, m.t.data(), T, H, w.gate_w, w.gate_b, m.gate.data(), E);
  trace_rows(trace, name + "mlp.gate", m.gate.data(), T, E);

  kernels::topk_softmax(m.gate.data(), T, E, K, m.expert_idx.data(), m.expert_w.data());
  if (trace) {
    std::vector<float> idx(m.expert_idx.begin(), m.expert_idx.begin() + static_cast<std::ptrdiff_t>(T * K));
    trace_rows(trace, name + "mlp.expert_idx", idx.data(), T, K);
    trace_rows(trace, name + "mlp.expert_w", m.expert_w.data(), T, K);
  }

  std::vector<std::vector<std::pair<std::size_t, float>>> routed(E);  // expert -> (row, weight)
  for (std::size_t r = 0; r < T; ++r) {
    for (std::size_t j = 0; j < K; ++j) routed[sz(m.expert_idx[r * K + j])].emplace_back(r, m.expert_w[r * K + j]);
  }
  // The chosen experts' rows, gathered expert after expert (T K rows in all).
  std::vector<std::size_t> experts, first;
  std::size_t n = 0;
  for (std::size_t e = 0; e < E; ++e) {
    if (routed[e].empty()) continue;
    experts.push_back(e);
    first.push_back(n);
    for (const auto& [r, weight] : routed[e]) std::copy_n(&m.t[r * H], H, &m.xe[n++ * H]);
  }
  m.panels.resize(experts.size());
  prepare_panels(m.pool, m.xe.data(), H, w.mlp1.int8_activations ? 1 : 3, experts, first, routed, m.panels);
  experts_product(m.pool, w.mlp1, H, 2 * I, experts, first, m.panels, m.h1.data());
  split_rows(m.pool, n * I, n, [&](std::size_t r0, std::size_t r1) {
    kernels::swiglu(&m.h1[r0 * 2 * I], r1 - r0, I, kSwigluAlpha, c.swiglu_limit, &m.act[r0 * I]);
  });
  prepare_panels(m.pool, m.act.data(), I, w.mlp2.int8_activations ? 1 : 3, experts, first, routed, m.panels);
  experts_product(m.pool, w.mlp2, I, H, experts, first, m.panels, m.ye.data());
  // Summed into each row in expert order, as before the experts shared a pass.
  std::fill_n(m.moe.begin(), T * H, 0.0f);
  for (std::size_t i = 0; i < experts.size(); ++i) {
    const auto& list = routed[experts[i]];
    for (std::size_t j = 0; j < list.size(); ++j)
      kernels::axpy_f32(list[j].second, &m.ye[(first[i] + j) * H], &m.moe[list[j].first * H], H);
  }
  kernels::residual_add(m.x.data(), m.moe.data(), T * H);
  trace_rows(trace, name + "mlp.resid", m.x.data(), T, H);
}

// Transformer.forward's tail: norm, then unembedding, only for the rows whose logits are
// wanted. Rows wanted by "last row only" sequences share one product (the unembedding is the
// largest weight); an all-rows sequence writes straight into its own buffer.
void logits(CpuModel& m, std::span<const StepSequence> batch, const Rows& rows, const TraceFn* trace) {
  const ModelConfig& c = m.config;
  const std::size_t H = sz(c.hidden_size), V = sz(c.vocab_size);
  std::vector<std::size_t> last;  // sequence indices wanting one row
  for (std::size_t s = 0; s < batch.size(); ++s) {
    const auto& seq = batch[s];
    if (!seq.logits || seq.tokens.empty()) continue;
    if (!seq.all_logits) {
      last.push_back(s);
      continue;
    }
    const std::size_t n = seq.tokens.size();
    m.final_rows.resize(n * H);
    kernels::rmsnorm(&m.x[rows.first[s] * H], n, H, m.weights.final_norm, c.rms_norm_eps, m.final_rows.data());
    trace_rows(trace, "final_norm", m.final_rows.data(), n, H);
    linear(m.pool, m.final_rows.data(), n, H, m.weights.unembedding, m.weights.unembedding_q8, nullptr, seq.logits, V);
  }
  if (last.empty()) return;
  m.final_rows.resize(last.size() * H);
  for (std::size_t i = 0; i < last.size(); ++i) {
    const std::size_t r = rows.first[last[i]] + batch[last[i]].tokens.size() - 1;
    kernels::rmsnorm(&m.x[r * H], 1, H, m.weights.final_norm, c.rms_norm_eps, &m.final_rows[i * H]);
  }
  if (last.size() == 1) {
    trace_rows(trace, "final_norm", m.final_rows.data(), 1, H);
    return linear(m.pool, m.final_rows.data(), 1, H, m.weights.unembedding, m.weights.unembedding_q8, nullptr, batch[last[0]].logits, V);
  }
  m.logits_rows.resize(last.size() * V);
  linear(m.pool, m.final_rows.data(), last.size(), H, m.weights.unembedding, m.weights.unembedding_q8, nullptr, m.logits_rows.data(), V);
  for (std::size_t i = 0; i < last.size(); ++i) std::copy_n(&m.logits_rows[i * V], V, batch[last[i]].logits);
}
}  // namespace

CpuModel::CpuModel(const ModelConfig& c, const ModelWeights& w, unsigned threads)
    : config(c), weights(w), rope(yarn_frequencies(c)), kv(KvGeometry::of(c)), pool(threads) {
  for (const auto& lw : w.layers) {
    auto& s = sinks.emplace_back(sz(c.num_heads));
    for (std::size_t h = 0; h < s.size(); ++h) s[h] = bf16_to_f32(lw.sinks[h]);
  }
}

float* CpuModel::block(BlockId b) {
  auto& p = blocks[sz(b)];
  if (!p) p = std::make_unique<float[]>(kv.block_floats());
  return p.get();
}

void forward(CpuModel& m, std::span<const StepSequence> batch, const TraceFn* trace) {
  const ModelConfig& c = m.config;
  const Rows rows = stack(batch);
  const std::size_t T = rows.total, H = sz(c.hidden_size), Q = sz(c.q_width()), KV = sz(c.kv_width()),
                    E = sz(c.num_experts), K = sz(c.experts_per_token), I = sz(c.intermediate_size);
  if (T == 0) return;
  for (auto* buf : {&m.x, &m.t, &m.tmp, &m.moe}) buf->resize(T * H);
  for (auto* buf : {&m.xe, &m.ye}) buf->resize(T * K * H);
  for (auto* buf : {&m.q, &m.o}) buf->resize(T * Q);
  for (auto* buf : {&m.k, &m.v}) buf->resize(T * KV);
  m.gate.resize(T * E);
  m.h1.resize(T * K * 2 * I);
  m.act.resize(T * K * I);
  m.expert_idx.resize(T * K);
  m.expert_w.resize(T * K);
  m.pos.resize(T);

  // x = embedding(tokens); every row at its own sequence's position.
  for (std::size_t s = 0; s < batch.size(); ++s) {
    for (std::size_t i = 0; i < batch[s].tokens.size(); ++i) {
      const std::size_t r = rows.first[s] + i;
      m.pos[r] = batch[s].pos0 + i;
      if (m.weights.embedding_q8) {
        embedding_row_q8(m.weights.embedding_q8, sz(batch[s].tokens[i]), H, &m.x[r * H]);
        continue;
      }
      const std::uint16_t* emb = m.weights.embedding + sz(batch[s].tokens[i]) * H;
      for (std::size_t h = 0; h < H; ++h) m.x[r * H + h] = bf16_to_f32(emb[h]);
    }
  }
  trace_rows(trace, "embedding", m.x.data(), T, H);

  for (std::size_t l = 0; l < sz(c.num_layers); ++l) {
    const std::string name = trace ? "block" + std::to_string(l) + "." : std::string();
    attention_block(m, l, batch, rows, trace, name);
    mlp_block(m, l, T, trace, name);
  }
  logits(m, batch, rows, trace);
}

}  // namespace ossa::engine
