// The CUDA backend's step is engine/forward.cpp's op sequence, op for op, with kernels/cuda/
// in place of kernels/cpu/: rows of all sequences stacked; attention per sequence over its own
// blocks; the experts over the routed rows (each (token, route) pair is a row of the expert
// products, so no routing table goes back to the host); logits copied back at the end. Host and
// device meet once per step (the uploads before, the logits after) unless a trace asks for the
// intermediates.
//
// Not done yet (issue 13): CUDA Graphs for the decode step, several streams, upload progress,
// tensor-core kernels for prefill, sampling on the device (kernels/cuda/argmax exists but the
// backend seam returns logits).
#include "engine/cuda/cuda_backend.hpp"

#include <cuda_runtime_api.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "engine/device.hpp"
#include "engine/kv_blocks.hpp"
#include "engine/rope.hpp"
#include "kernels/cpu/bf16.hpp"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device.cuh"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/embedding.cuh"
#include "kernels/cuda/matmul_bf16.cuh"
#include "kernels/cuda/matmul_mxfp4.cuh"
#include "kernels/cuda/residual.cuh"
#include "kernels/cuda/rmsnorm.cuh"
#include "kernels/cuda/rope.cuh"
#include "kernels/cuda/routing.cuh"
#include "kernels/cuda/scatter_rows.cuh"
#include "kernels/cuda/swiglu.cuh"

namespace ossa::engine {
namespace {
namespace cu = kernels::cuda;
using cu::check;
using cu::DeviceBuffer;

constexpr float kSwigluAlpha = 1.702f;
constexpr std::uint64_t kMiB = 1ull << 20;
// Scratch for steps (activations, expert rows, a few rows of logits) and the least KV cache
// worth loading for, on top of the weights; the KV default takes 90% of what is left.
constexpr std::uint64_t kReserveBytes = 512 * kMiB;

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// The device copies of one layer's weights (same meaning as LayerWeights).
struct DeviceLayer {
  const std::uint16_t *attn_norm, *q_w, *k_w, *v_w, *q_b, *k_b, *v_b, *out_w, *out_b, *mlp_norm, *gate_w, *gate_b;
  const std::uint8_t *mlp1_blocks, *mlp1_scales, *mlp2_blocks, *mlp2_scales;
  const std::uint16_t *mlp1_bias, *mlp2_bias;
};

// Every weight in one device allocation, copied straight from the mapped checkpoint.
class WeightArena {
 public:
  // Pass 1 (count) sizes the arena; pass 2 (after allocate) copies and returns device pointers.
  template <class T>
  const T* add(const T* host, std::size_t count) {
    const std::size_t bytes = count * sizeof(T);
    const std::size_t offset = used_;
    used_ += (bytes + 255) / 256 * 256;
    if (!base_) return nullptr;
    check(cudaMemcpy(base_ + offset, host, bytes, cudaMemcpyHostToDevice), "uploading the weights");
    return reinterpret_cast<const T*>(base_ + offset);
  }
  std::uint64_t size() const { return used_; }
  void allocate() {
    void* p = nullptr;
    check(cudaMalloc(&p, used_), "cudaMalloc for the weights");
    base_ = static_cast<std::uint8_t*>(p);
    used_ = 0;
  }
  ~WeightArena() {
    if (base_) cudaFree(base_);
  }

 private:
  std::uint8_t* base_ = nullptr;
  std::size_t used_ = 0;
};

class CudaBackend final : public Backend {
 public:
  CudaBackend(const ModelConfig& c, const ModelWeights& w, int index, std::uint64_t kv_bytes)
      : c_(c), kv_(KvGeometry::of(c)), index_(index) {
    if (std::string problem = cu::device_problem(index); !problem.empty()) throw DeviceError(problem);
    if (!w.embedding || !w.unembedding || (!w.layers.empty() && (!w.layers[0].q_w || !w.layers[0].out_w)))
      throw DeviceError("--weights-q8 is a CPU format: drop it or use --device cpu");
    check(cudaSetDevice(index_), "cudaSetDevice");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, index_), "cudaGetDeviceProperties");
    device_name_ = prop.name;

    upload(w);  // sizing pass: nothing is allocated yet
    std::size_t free_bytes = 0, total_bytes = 0;
    check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
    const std::uint64_t weights = arena_.size();
    const std::uint64_t need = weights + kReserveBytes + kv_bytes;
    if (need > free_bytes) {
      throw DeviceError("CUDA device " + std::to_string(index_) + " (" + device_name_ + ") has " +
                        std::to_string(free_bytes / kMiB) + " MiB free of " + std::to_string(total_bytes / kMiB) +
                        " MiB; this model needs " + std::to_string((need + kMiB - 1) / kMiB) + " MiB (weights " +
                        std::to_string(weights / kMiB) + " MiB, scratch " + std::to_string(kReserveBytes / kMiB) +
                        " MiB, KV cache " + std::to_string(kv_bytes / kMiB) + " MiB)");
    }
    arena_.allocate();
    upload(w);
    kv_default_ = (free_bytes - weights - kReserveBytes) / 10 * 9;

    const RopeFrequencies rope = yarn_frequencies(c_);
    inv_freq_.upload(rope.inv_freq.data(), rope.inv_freq.size());
    concentration_ = rope.concentration;
    std::vector<float> sinks;
    for (const auto& lw : w.layers) {
      for (std::size_t h = 0; h < sz(c_.num_heads); ++h) sinks.push_back(kernels::bf16_to_f32(lw.sinks[h]));
    }
    sinks_.upload(sinks.data(), sinks.size());
    check(cudaStreamCreate(&stream_), "cudaStreamCreate");
  }

  ~CudaBackend() override {
    cudaSetDevice(index_);
    for (float* b : blocks_) {
      if (b) cudaFree(b);
    }
    if (stream_) cudaStreamDestroy(stream_);
  }

  const char* name() const override { return "cuda"; }
  std::uint64_t kv_budget_default() const override { return kv_default_; }

  void reserve_blocks(std::size_t count) override {
    if (blocks_.size() < count) blocks_.resize(count, nullptr);
  }

  void copy_block(BlockId from, BlockId to) override {
    check(cudaSetDevice(index_), "cudaSetDevice");
    check(cudaMemcpyAsync(block(to), block(from), kv_.block_bytes(), cudaMemcpyDeviceToDevice, stream_),
          "copying a KV block");
  }

  // The weights are resident since load.
  std::uint64_t prefetch() override { return arena_.size(); }

  void step(std::span<const StepSequence> batch, const TraceFn* trace) override;

 private:
  void upload(const ModelWeights& w);
  float* block(BlockId b);
  template <class T>
  std::vector<T> download(const T* dev, std::size_t n);
  void trace_rows(const TraceFn* trace, const std::string& name, const float* dev, std::size_t rows, std::size_t cols);
  void attention_block(std::size_t l, std::span<const StepSequence> batch, const TraceFn* trace, const std::string& name);
  void mlp_block(std::size_t l, const TraceFn* trace, const std::string& name);
  void logits(std::span<const StepSequence> batch, const TraceFn* trace);

  const ModelConfig& c_;
  KvGeometry kv_;
  int index_;
  std::string device_name_;
  WeightArena arena_;
  const std::uint16_t *embedding_ = nullptr, *unembedding_ = nullptr, *final_norm_ = nullptr;
  std::vector<DeviceLayer> layers_;
  DeviceBuffer<float> inv_freq_, sinks_;
  float concentration_ = 1.0f;
  std::uint64_t kv_default_ = 0;
  cudaStream_t stream_ = nullptr;
  std::vector<float*> blocks_;  // by BlockId, allocated on first use

  // The step being run: its rows (host), and device scratch that grows to the largest step.
  std::size_t T_ = 0;
  std::vector<std::size_t> first_, pos_;
  std::vector<std::int32_t> tokens_;
  std::vector<float*> ptrs_;  // per layer: key slots, value slots, each sequence's block table
  std::vector<std::size_t> kdst_, vdst_;
  std::vector<std::vector<std::size_t>> table_;  // [layer][sequence] offset into ptrs_
  DeviceBuffer<std::int32_t> d_tokens_, d_idx_;
  DeviceBuffer<std::size_t> d_pos_;
  DeviceBuffer<float*> d_ptrs_;
  DeviceBuffer<float> x_, t_, q_, k_, v_, o_, tmp_, gate_, w_, h1_, act_, ye_, final_, logits_;
};

void CudaBackend::upload(const ModelWeights& w) {
  const std::size_t H = sz(c_.hidden_size), V = sz(c_.vocab_size), Q = sz(c_.q_width()), KV = sz(c_.kv_width()),
                    E = sz(c_.num_experts), I = sz(c_.intermediate_size);
  embedding_ = arena_.add(w.embedding, V * H);
  unembedding_ = arena_.add(w.unembedding, V * H);
  final_norm_ = arena_.add(w.final_norm, H);
  layers_.clear();
  for (const auto& lw : w.layers) {
    DeviceLayer d{};
    d.attn_norm = arena_.add(lw.attn_norm, H);
    d.q_w = arena_.add(lw.q_w, Q * H);
    d.k_w = arena_.add(lw.k_w, KV * H);
    d.v_w = arena_.add(lw.v_w, KV * H);
    d.q_b = arena_.add(lw.q_b, Q);
    d.k_b = arena_.add(lw.k_b, KV);
    d.v_b = arena_.add(lw.v_b, KV);
    d.out_w = arena_.add(lw.out_w, H * Q);
    d.out_b = arena_.add(lw.out_b, H);
    d.mlp_norm = arena_.add(lw.mlp_norm, H);
    d.gate_w = arena_.add(lw.gate_w, E * H);
    d.gate_b = arena_.add(lw.gate_b, E);
    d.mlp1_blocks = arena_.add(lw.mlp1.blocks, E * 2 * I * (H / 32) * 16);
    d.mlp1_scales = arena_.add(lw.mlp1.scales, E * 2 * I * (H / 32));
    d.mlp1_bias = arena_.add(lw.mlp1.bias, E * 2 * I);
    d.mlp2_blocks = arena_.add(lw.mlp2.blocks, E * H * (I / 32) * 16);
    d.mlp2_scales = arena_.add(lw.mlp2.scales, E * H * (I / 32));
    d.mlp2_bias = arena_.add(lw.mlp2.bias, E * H);
    layers_.push_back(d);
  }
}

float* CudaBackend::block(BlockId b) {
  float*& p = blocks_.at(static_cast<std::size_t>(b));
  if (!p) {
    void* m = nullptr;
    check(cudaMalloc(&m, kv_.block_bytes()), "cudaMalloc for a KV block");
    p = static_cast<float*>(m);
  }
  return p;
}

// For traces only: waits for the stream.
template <class T>
std::vector<T> CudaBackend::download(const T* dev, std::size_t n) {
  std::vector<T> host(n);
  check(cudaMemcpyAsync(host.data(), dev, n * sizeof(T), cudaMemcpyDeviceToHost, stream_), "trace copy");
  check(cudaStreamSynchronize(stream_), "trace sync");
  return host;
}

void CudaBackend::trace_rows(const TraceFn* trace, const std::string& name, const float* dev, std::size_t rows,
                             std::size_t cols) {
  if (!trace) return;
  const auto host = download(dev, rows * cols);
  (*trace)(name, host.data(), rows, cols);
}

void CudaBackend::step(std::span<const StepSequence> batch, const TraceFn* trace) {
  check(cudaSetDevice(index_), "cudaSetDevice");
  const std::size_t H = sz(c_.hidden_size), Q = sz(c_.q_width()), KV = sz(c_.kv_width()), E = sz(c_.num_experts),
                    K = sz(c_.experts_per_token), I = sz(c_.intermediate_size), L = sz(c_.num_layers),
                    B = kv_.block_tokens;
  first_.clear();
  pos_.clear();
  tokens_.clear();
  for (const auto& s : batch) {
    first_.push_back(pos_.size());
    for (std::size_t i = 0; i < s.tokens.size(); ++i) {
      pos_.push_back(s.pos0 + i);
      tokens_.push_back(s.tokens[i]);
    }
  }
  T_ = pos_.size();
  if (T_ == 0) return;

  // Where each row's key and value go, and each sequence's blocks, for every layer: one upload.
  ptrs_.clear();
  kdst_.assign(L, 0);
  vdst_.assign(L, 0);
  table_.assign(L, std::vector<std::size_t>(batch.size()));
  for (std::size_t l = 0; l < L; ++l) {
    for (int pass = 0; pass < 2; ++pass) {
      (pass == 0 ? kdst_ : vdst_)[l] = ptrs_.size();
      for (std::size_t s = 0; s < batch.size(); ++s) {
        const auto& table = (*batch[s].tables)[l];
        for (std::size_t i = 0; i < batch[s].tokens.size(); ++i) {
          const std::size_t p = batch[s].pos0 + i;
          ptrs_.push_back(block(table[p / B]) + (pass == 0 ? p % B : B + p % B) * KV);
        }
      }
    }
    for (std::size_t s = 0; s < batch.size(); ++s) {
      table_[l][s] = ptrs_.size();
      for (BlockId b : (*batch[s].tables)[l]) ptrs_.push_back(b == kNoBlock ? nullptr : block(b));
    }
  }

  for (auto* buf : {&x_, &t_, &tmp_}) buf->ensure(T_ * H);
  for (auto* buf : {&q_, &o_}) buf->ensure(T_ * Q);
  for (auto* buf : {&k_, &v_}) buf->ensure(T_ * KV);
  gate_.ensure(T_ * E);
  d_idx_.ensure(T_ * K);
  w_.ensure(T_ * K);
  h1_.ensure(T_ * K * 2 * I);
  act_.ensure(T_ * K * I);
  ye_.ensure(T_ * K * H);
  d_tokens_.ensure(T_);
  d_pos_.ensure(T_);
  d_ptrs_.ensure(ptrs_.size());
  check(cudaMemcpyAsync(d_tokens_.get(), tokens_.data(), T_ * sizeof(std::int32_t), cudaMemcpyHostToDevice, stream_),
        "uploading the tokens");
  check(cudaMemcpyAsync(d_pos_.get(), pos_.data(), T_ * sizeof(std::size_t), cudaMemcpyHostToDevice, stream_),
        "uploading the positions");
  check(cudaMemcpyAsync(d_ptrs_.get(), ptrs_.data(), ptrs_.size() * sizeof(float*), cudaMemcpyHostToDevice, stream_),
        "uploading the block tables");

  cu::embedding(embedding_, d_tokens_.get(), T_, H, x_.get(), stream_);
  trace_rows(trace, "embedding", x_.get(), T_, H);
  for (std::size_t l = 0; l < L; ++l) {
    const std::string name = trace ? "block" + std::to_string(l) + "." : std::string();
    attention_block(l, batch, trace, name);
    mlp_block(l, trace, name);
  }
  logits(batch, trace);
  // The host vectors above were the sources of async copies: they stay untouched until here.
  check(cudaStreamSynchronize(stream_), "the CUDA step");
}

void CudaBackend::attention_block(std::size_t l, std::span<const StepSequence> batch, const TraceFn* trace,
                                  const std::string& name) {
  const DeviceLayer& w = layers_[l];
  const std::size_t H = sz(c_.hidden_size), Q = sz(c_.q_width()), KV = sz(c_.kv_width()), d = sz(c_.head_dim),
                    Hq = sz(c_.num_heads), Hkv = sz(c_.num_kv_heads);
  cu::rmsnorm(x_.get(), T_, H, w.attn_norm, c_.rms_norm_eps, t_.get(), stream_);
  trace_rows(trace, name + "attn.norm", t_.get(), T_, H);
  cu::matmul_bf16(t_.get(), T_, H, w.q_w, w.q_b, q_.get(), Q, Q, stream_);
  cu::matmul_bf16(t_.get(), T_, H, w.k_w, w.k_b, k_.get(), KV, KV, stream_);
  cu::matmul_bf16(t_.get(), T_, H, w.v_w, w.v_b, v_.get(), KV, KV, stream_);
  if (trace) {  // the reference's fused layout: each row q | k | v
    const auto q = download(q_.get(), T_ * Q), k = download(k_.get(), T_ * KV), v = download(v_.get(), T_ * KV);
    std::vector<float> qkv;
    for (std::size_t r = 0; r < T_; ++r) {
      qkv.insert(qkv.end(), q.begin() + static_cast<std::ptrdiff_t>(r * Q), q.begin() + static_cast<std::ptrdiff_t>((r + 1) * Q));
      qkv.insert(qkv.end(), k.begin() + static_cast<std::ptrdiff_t>(r * KV), k.begin() + static_cast<std::ptrdiff_t>((r + 1) * KV));
      qkv.insert(qkv.end(), v.begin() + static_cast<std::ptrdiff_t>(r * KV), v.begin() + static_cast<std::ptrdiff_t>((r + 1) * KV));
    }
    (*trace)(name + "attn.qkv", qkv.data(), T_, Q + 2 * KV);
  }
  cu::rope(q_.get(), T_, Hq, d, d_pos_.get(), inv_freq_.get(), concentration_, stream_);
  cu::rope(k_.get(), T_, Hkv, d, d_pos_.get(), inv_freq_.get(), concentration_, stream_);
  trace_rows(trace, name + "attn.rope.q", q_.get(), T_, Q);
  trace_rows(trace, name + "attn.rope.k", k_.get(), T_, KV);

  cu::scatter_rows(k_.get(), T_, KV, d_ptrs_.get() + kdst_[l], stream_);
  cu::scatter_rows(v_.get(), T_, KV, d_ptrs_.get() + vdst_[l], stream_);
  const cu::AttentionShape shape{Hq, Hkv, d, c_.sliding[l] ? sz(c_.sliding_window) : 0,
                                 1.0f / std::sqrt(static_cast<float>(d)), sinks_.get() + l * Hq};
  for (std::size_t s = 0; s < batch.size(); ++s) {
    const std::size_t r0 = first_[s], n = batch[s].tokens.size();
    const cu::KvView kv{d_ptrs_.get() + table_[l][s], kv_.block_tokens, KV};
    cu::attention(q_.get() + r0 * Q, d_pos_.get() + r0, n, kv, shape, o_.get() + r0 * Q, stream_);
  }
  trace_rows(trace, name + "attn.sdpa", o_.get(), T_, Q);
  cu::matmul_bf16(o_.get(), T_, Q, w.out_w, w.out_b, tmp_.get(), H, H, stream_);
  cu::residual_add(x_.get(), tmp_.get(), T_ * H, stream_);
  trace_rows(trace, name + "attn.resid", x_.get(), T_, H);
}

void CudaBackend::mlp_block(std::size_t l, const TraceFn* trace, const std::string& name) {
  const DeviceLayer& w = layers_[l];
  const std::size_t H = sz(c_.hidden_size), E = sz(c_.num_experts), K = sz(c_.experts_per_token),
                    I = sz(c_.intermediate_size);
  cu::rmsnorm(x_.get(), T_, H, w.mlp_norm, c_.rms_norm_eps, t_.get(), stream_);
  trace_rows(trace, name + "mlp.norm", t_.get(), T_, H);
  cu::matmul_bf16(t_.get(), T_, H, w.gate_w, w.gate_b, gate_.get(), E, E, stream_);
  trace_rows(trace, name + "mlp.gate", gate_.get(), T_, E);
  cu::topk_softmax(gate_.get(), T_, E, K, d_idx_.get(), w_.get(), stream_);
  if (trace) {
    const auto idx = download(d_idx_.get(), T_ * K);
    const std::vector<float> as_float(idx.begin(), idx.end());
    (*trace)(name + "mlp.expert_idx", as_float.data(), T_, K);
    trace_rows(trace, name + "mlp.expert_w", w_.get(), T_, K);
  }
  // Row p = t*K + j of the expert products is token t's j-th route.
  cu::matmul_mxfp4(t_.get(), T_ * K, K, H, w.mlp1_blocks, w.mlp1_scales, w.mlp1_bias, d_idx_.get(), h1_.get(), 2 * I,
                   stream_);
  cu::swiglu(h1_.get(), T_ * K, I, kSwigluAlpha, c_.swiglu_limit, act_.get(), stream_);
  cu::matmul_mxfp4(act_.get(), T_ * K, 1, I, w.mlp2_blocks, w.mlp2_scales, w.mlp2_bias, d_idx_.get(), ye_.get(), H,
                   stream_);
  cu::moe_combine(x_.get(), ye_.get(), w_.get(), T_, K, H, stream_);
  trace_rows(trace, name + "mlp.resid", x_.get(), T_, H);
}

void CudaBackend::logits(std::span<const StepSequence> batch, const TraceFn* trace) {
  const std::size_t H = sz(c_.hidden_size), V = sz(c_.vocab_size);
  // The rows whose logits are wanted, normed into final_ in order; one product for them all.
  std::vector<std::pair<std::size_t, std::size_t>> wanted;  // (sequence, first output row)
  std::size_t rows = 0;
  for (std::size_t s = 0; s < batch.size(); ++s) {
    if (!batch[s].logits || batch[s].tokens.empty()) continue;
    wanted.emplace_back(s, rows);
    rows += batch[s].all_logits ? batch[s].tokens.size() : 1;
  }
  if (rows == 0) return;
  final_.ensure(rows * H);
  logits_.ensure(rows * V);
  for (const auto& [s, out] : wanted) {
    const std::size_t n = batch[s].all_logits ? batch[s].tokens.size() : 1;
    const std::size_t r = first_[s] + batch[s].tokens.size() - n;
    cu::rmsnorm(x_.get() + r * H, n, H, final_norm_, c_.rms_norm_eps, final_.get() + out * H, stream_);
  }
  trace_rows(trace, "final_norm", final_.get(), rows, H);
  cu::matmul_bf16(final_.get(), rows, H, unembedding_, nullptr, logits_.get(), V, V, stream_);
  for (const auto& [s, out] : wanted) {
    const std::size_t n = batch[s].all_logits ? batch[s].tokens.size() : 1;
    check(cudaMemcpyAsync(batch[s].logits, logits_.get() + out * V, n * V * sizeof(float), cudaMemcpyDeviceToHost,
                          stream_),
          "copying the logits back");
  }
}

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const ModelConfig& config, const ModelWeights& weights, int index,
                                           std::uint64_t kv_bytes) {
  try {
    return std::make_unique<CudaBackend>(config, weights, index, kv_bytes);
  } catch (const kernels::cuda::CudaError& e) {
    throw DeviceError(std::string("CUDA device ") + std::to_string(index) + ": " + e.what());
  }
}

}  // namespace ossa::engine
