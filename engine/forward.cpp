// One forward pass, following OpenAI's reference (gpt_oss/torch/model.py) with fp32
// activations and the weights as stored (bf16 dense, MXFP4 experts decoded inside the kernels).
#include "engine/forward.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/matmul.hpp"

namespace ossa::engine {
namespace {
using kernels::bf16_to_f32;

constexpr float kSwigluAlpha = 1.702f;

// Below this many multiply-adds a product runs on the calling thread: waking the pool costs
// more than it saves.
constexpr std::size_t kParallelMinWork = 1u << 16;

// y = x W^T + b for T rows, split over the pool by output rows.
void linear_bf16(ThreadPool& pool, const float* x, std::size_t T, std::size_t K, const std::uint16_t* w,
                 const std::uint16_t* b, float* y, std::size_t N) {
  if (T * K * N < kParallelMinWork) return kernels::matmul_bf16(x, T, K, w, b, y, N, 0, N);
  pool.parallel_for(N, [&](std::size_t n0, std::size_t n1) {
    kernels::matmul_bf16(x, T, K, w, b, y, N, n0, n1);
  }, 8);
}

void linear_mxfp4(ThreadPool& pool, const float* x, std::size_t T, std::size_t K,
                  const std::uint8_t* blocks, const std::uint8_t* scales, const std::uint16_t* b,
                  float* y, std::size_t N) {
  if (T * K * N < kParallelMinWork) return kernels::matmul_mxfp4(x, T, K, blocks, scales, b, y, N, 0, N);
  pool.parallel_for(N, [&](std::size_t n0, std::size_t n1) {
    kernels::matmul_mxfp4(x, T, K, blocks, scales, b, y, N, n0, n1);
  }, 8);
}

void rmsnorm(const float* x, std::size_t T, std::size_t H, const std::uint16_t* gain, float eps, float* y) {
  for (std::size_t t = 0; t < T; ++t) {
    const float* xr = x + t * H;
    double ss = 0.0;
    for (std::size_t h = 0; h < H; ++h) ss += static_cast<double>(xr[h]) * xr[h];
    const float r = 1.0f / std::sqrt(static_cast<float>(ss / static_cast<double>(H)) + eps);
    for (std::size_t h = 0; h < H; ++h) y[t * H + h] = xr[h] * r * bf16_to_f32(gain[h]);
  }
}

// Rotates the two halves of every head (NeoX style) by the position's angles.
void rope(const ModelImpl& m, float* x, std::size_t T, std::size_t heads, std::size_t pos0) {
  const std::size_t d = static_cast<std::size_t>(m.config.head_dim), half = d / 2;
  std::vector<float> cs(half), sn(half);
  for (std::size_t t = 0; t < T; ++t) {
    const float p = static_cast<float>(pos0 + t);
    for (std::size_t i = 0; i < half; ++i) {
      const float angle = p * m.inv_freq[i];
      cs[i] = std::cos(angle) * m.concentration;
      sn[i] = std::sin(angle) * m.concentration;
    }
    for (std::size_t h = 0; h < heads; ++h) {
      float* v = x + (t * heads + h) * d;
      for (std::size_t i = 0; i < half; ++i) {
        const float x1 = v[i], x2 = v[half + i];
        v[i] = x1 * cs[i] - x2 * sn[i];
        v[half + i] = x2 * cs[i] + x1 * sn[i];
      }
    }
  }
}

void trace_rows(const TraceFn* trace, const std::string& name, const float* data, std::size_t rows,
                std::size_t cols) {
  if (trace) (*trace)(name, data, rows, cols);
}
}  // namespace

void forward(const ModelImpl& m, SessionState& s, std::span<const std::int32_t> tokens,
             std::size_t pos0, bool all_rows, float* logits, const TraceFn* trace) {
  const ModelConfig& c = m.config;
  const ModelWeights& w = m.weights;
  ThreadPool& pool = m.pool;
  const std::size_t T = tokens.size();
  const std::size_t H = static_cast<std::size_t>(c.hidden_size), Q = static_cast<std::size_t>(c.q_width()),
                    KV = static_cast<std::size_t>(c.kv_width()), d = static_cast<std::size_t>(c.head_dim),
                    Hq = static_cast<std::size_t>(c.num_heads), Hkv = static_cast<std::size_t>(c.num_kv_heads),
                    E = static_cast<std::size_t>(c.num_experts), K = static_cast<std::size_t>(c.experts_per_token),
                    I = static_cast<std::size_t>(c.intermediate_size), V = static_cast<std::size_t>(c.vocab_size),
                    W = static_cast<std::size_t>(c.sliding_window);
  const std::size_t group = Hq / Hkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  s.cache.reserve(pos0 + T);

  s.x.resize(T * H);
  s.t.resize(T * H);
  s.q.resize(T * Q);
  s.k.resize(T * KV);
  s.v.resize(T * KV);
  s.o.resize(T * Q);
  s.tmp.resize(T * H);
  s.gate.resize(T * E);
  s.moe.resize(T * H);

  for (std::size_t t = 0; t < T; ++t) {
    const std::uint16_t* row = w.embedding + static_cast<std::size_t>(tokens[t]) * H;
    for (std::size_t h = 0; h < H; ++h) s.x[t * H + h] = bf16_to_f32(row[h]);
  }
  trace_rows(trace, "embedding", s.x.data(), T, H);

  std::vector<std::int32_t> sel(T * K);
  std::vector<float> selw(T * K);
  for (std::size_t l = 0; l < static_cast<std::size_t>(c.num_layers); ++l) {
    const LayerWeights& lw = w.layers[l];
    const std::string name = trace ? "block" + std::to_string(l) + "." : std::string();
    const bool sliding = c.sliding[l];

    // --- attention ---
    rmsnorm(s.x.data(), T, H, lw.attn_norm, c.rms_norm_eps, s.t.data());
    trace_rows(trace, name + "attn.norm", s.t.data(), T, H);
    linear_bf16(pool, s.t.data(), T, H, lw.q_w, lw.q_b, s.q.data(), Q);
    linear_bf16(pool, s.t.data(), T, H, lw.k_w, lw.k_b, s.k.data(), KV);
    linear_bf16(pool, s.t.data(), T, H, lw.v_w, lw.v_b, s.v.data(), KV);
    if (trace) {
      std::vector<float> qkv(T * (Q + 2 * KV));
      for (std::size_t t = 0; t < T; ++t) {
        std::copy_n(&s.q[t * Q], Q, &qkv[t * (Q + 2 * KV)]);
        std::copy_n(&s.k[t * KV], KV, &qkv[t * (Q + 2 * KV) + Q]);
        std::copy_n(&s.v[t * KV], KV, &qkv[t * (Q + 2 * KV) + Q + KV]);
      }
      trace_rows(trace, name + "attn.qkv", qkv.data(), T, Q + 2 * KV);
    }
    rope(m, s.q.data(), T, Hq, pos0);
    rope(m, s.k.data(), T, Hkv, pos0);
    trace_rows(trace, name + "attn.rope.q", s.q.data(), T, Q);
    trace_rows(trace, name + "attn.rope.k", s.k.data(), T, KV);
    for (std::size_t t = 0; t < T; ++t) {
      std::copy_n(&s.k[t * KV], KV, s.cache.k(l, pos0 + t));
      std::copy_n(&s.v[t * KV], KV, s.cache.v(l, pos0 + t));
    }
    // Softmax over the allowed keys plus the head's sink column; the sink has no value.
    pool.parallel_for(T * Hq, [&](std::size_t b, std::size_t e) {
      std::vector<float> scores;
      for (std::size_t item = b; item < e; ++item) {
        const std::size_t t = item / Hq, h = item % Hq, kvh = h / group;
        const std::size_t p = pos0 + t;
        const std::size_t lo = sliding && p + 1 > W ? p + 1 - W : 0;
        const float* qv = &s.q[t * Q + h * d];
        scores.resize(p + 1 - lo);
        const float sink = bf16_to_f32(lw.sinks[h]);
        float mx = sink;
        for (std::size_t j = lo; j <= p; ++j) {
          float a = kernels::dot_f32(qv, s.cache.k(l, j) + kvh * d, d) * scale;
          scores[j - lo] = a;
          mx = std::max(mx, a);
        }
        float denom = std::exp(sink - mx);
        for (float& a : scores) {
          a = std::exp(a - mx);
          denom += a;
        }
        float* out = &s.o[t * Q + h * d];
        std::fill_n(out, d, 0.0f);
        const float inv = 1.0f / denom;
        for (std::size_t j = lo; j <= p; ++j) {
          kernels::axpy_f32(scores[j - lo] * inv, s.cache.v(l, j) + kvh * d, out, d);
        }
      }
    });
    trace_rows(trace, name + "attn.sdpa", s.o.data(), T, Q);
    linear_bf16(pool, s.o.data(), T, Q, lw.out_w, lw.out_b, s.tmp.data(), H);
    for (std::size_t i = 0; i < T * H; ++i) s.x[i] += s.tmp[i];
    trace_rows(trace, name + "attn.resid", s.x.data(), T, H);

    // --- mixture of experts ---
    rmsnorm(s.x.data(), T, H, lw.mlp_norm, c.rms_norm_eps, s.t.data());
    trace_rows(trace, name + "mlp.norm", s.t.data(), T, H);
    linear_bf16(pool, s.t.data(), T, H, lw.gate_w, lw.gate_b, s.gate.data(), E);
    trace_rows(trace, name + "mlp.gate", s.gate.data(), T, E);
    std::vector<std::vector<std::pair<std::size_t, float>>> per_expert(E);
    std::vector<std::int32_t> order(E);
    for (std::size_t t = 0; t < T; ++t) {
      const float* g = &s.gate[t * E];
      std::iota(order.begin(), order.end(), 0);
      // Descending logit; ties go to the lower expert id (the reference leaves ties open).
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(K), order.end(),
                        [&](std::int32_t a, std::int32_t b) { return g[a] > g[b] || (g[a] == g[b] && a < b); });
      float mx = g[order[0]], sum = 0.0f;
      for (std::size_t j = 0; j < K; ++j) {
        selw[t * K + j] = std::exp(g[order[j]] - mx);
        sum += selw[t * K + j];
      }
      for (std::size_t j = 0; j < K; ++j) {
        selw[t * K + j] /= sum;
        sel[t * K + j] = order[j];
        per_expert[static_cast<std::size_t>(order[j])].emplace_back(t, selw[t * K + j]);
      }
    }
    if (trace) {
      std::vector<float> idx(sel.begin(), sel.end());
      trace_rows(trace, name + "mlp.expert_idx", idx.data(), T, K);
      trace_rows(trace, name + "mlp.expert_w", selw.data(), T, K);
    }
    std::fill(s.moe.begin(), s.moe.end(), 0.0f);
    const std::size_t g1 = H / 32, g2 = I / 32;
    for (std::size_t e = 0; e < E; ++e) {
      const auto& list = per_expert[e];
      if (list.empty()) continue;
      const std::size_t Te = list.size();
      s.xe.resize(Te * H);
      s.h1.resize(Te * 2 * I);
      s.act.resize(Te * I);
      s.ye.resize(Te * H);
      for (std::size_t r = 0; r < Te; ++r) std::copy_n(&s.t[list[r].first * H], H, &s.xe[r * H]);
      linear_mxfp4(pool, s.xe.data(), Te, H, lw.mlp1.blocks + e * 2 * I * g1 * 16,
                   lw.mlp1.scales + e * 2 * I * g1, lw.mlp1.bias + e * 2 * I, s.h1.data(), 2 * I);
      const float limit = c.swiglu_limit;
      for (std::size_t r = 0; r < Te; ++r) {
        for (std::size_t j = 0; j < I; ++j) {
          float gv = std::min(s.h1[r * 2 * I + 2 * j], limit);
          float lv = std::clamp(s.h1[r * 2 * I + 2 * j + 1], -limit, limit);
          s.act[r * I + j] = gv / (1.0f + std::exp(-kSwigluAlpha * gv)) * (lv + 1.0f);
        }
      }
      linear_mxfp4(pool, s.act.data(), Te, I, lw.mlp2.blocks + e * H * g2 * 16,
                   lw.mlp2.scales + e * H * g2, lw.mlp2.bias + e * H, s.ye.data(), H);
      for (std::size_t r = 0; r < Te; ++r) {
        kernels::axpy_f32(list[r].second, &s.ye[r * H], &s.moe[list[r].first * H], H);
      }
    }
    for (std::size_t i = 0; i < T * H; ++i) s.x[i] += s.moe[i];
    trace_rows(trace, name + "mlp.resid", s.x.data(), T, H);
  }

  const std::size_t first = all_rows ? 0 : T - 1, rows = T - first;
  s.final_rows.resize(rows * H);
  rmsnorm(&s.x[first * H], rows, H, w.final_norm, c.rms_norm_eps, s.final_rows.data());
  trace_rows(trace, "final_norm", s.final_rows.data(), rows, H);
  linear_bf16(pool, s.final_rows.data(), rows, H, w.unembedding, nullptr, logits, V);
}

}  // namespace ossa::engine
