// Each kernel against OpenAI's reference intermediates (golden data, tiny-a, sequence 0,
// block 0, fp32 variant): the op's input from the golden data, the op's weights from the
// checkpoint, the op's output compared with the next golden intermediate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "engine/rope.hpp"
#include "engine/safetensors.hpp"
#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/residual.hpp"
#include "kernels/cpu/rmsnorm.hpp"
#include "kernels/cpu/rope.hpp"
#include "kernels/cpu/routing.hpp"
#include "kernels/cpu/swiglu.hpp"
#include "engine/model.hpp"
#include "tests/engine/golden_data.hpp"

using namespace ossa;

using test::golden;

namespace {
constexpr std::size_t T = 40, H = 64, Q = 128, KV = 32, d = 16, Hq = 8, Hkv = 2, E = 8, K = 4, I = 96;

const engine::SafetensorsFile& weights() {
  static const auto f = engine::SafetensorsFile::open(test::golden_dir("tiny-a") / "model.safetensors");
  return f;
}
const std::uint16_t* bf16(const char* name) {
  const auto* t = weights().find(name);
  EXPECT_TRUE(t) << name;
  return reinterpret_cast<const std::uint16_t*>(t->data);
}
const std::uint8_t* u8(const char* name) {
  const auto* t = weights().find(name);
  EXPECT_TRUE(t) << name;
  return t->data;
}
std::vector<float> ref(const std::string& name) { return golden().f32("seq0.fp32.block0." + name); }

float max_rel_diff(const std::vector<float>& got, const std::vector<float>& want) {
  EXPECT_EQ(got.size(), want.size());
  float scale = 1.0f, m = 0.0f;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) m = std::max(m, std::fabs(got[i] - want[i]));
  return m / scale;
}

// Each op runs at every ISA level this CPU has, so both halves of each pair meet the reference.
template <class Fn>
void at_each_isa(Fn fn) {
  for (auto isa : {kernels::Isa::scalar, kernels::Isa::avx2, kernels::Isa::avx512}) {
    if (isa > kernels::detected_isa()) continue;
    kernels::set_isa(isa);
    SCOPED_TRACE(kernels::isa_name(isa));
    fn();
  }
  kernels::set_isa(kernels::detected_isa());
}
}  // namespace

TEST(OpsVsReference, RmsNormOfTheEmbeddingIsAttnNorm) {
  auto tokens = golden().i32("seq0.tokens");
  std::vector<float> x(T * H);
  const std::uint16_t* emb = bf16("embedding.weight");
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t h = 0; h < H; ++h) x[t * H + h] = kernels::bf16_to_f32(emb[static_cast<std::size_t>(tokens[t]) * H + h]);
  }
  at_each_isa([&] {
    std::vector<float> y(T * H);
    kernels::rmsnorm(x.data(), T, H, bf16("block.0.attn.norm.scale"), 1e-5f, y.data());
    EXPECT_LE(max_rel_diff(y, ref("attn.norm")), 2e-6f);
  });
}

TEST(OpsVsReference, RopeOfQkvIsRopeQ) {
  auto qkv = ref("attn.qkv");
  auto model = engine::Model::load(test::golden_dir("tiny-a"));
  const auto freq = engine::yarn_frequencies(model->config());
  std::vector<std::size_t> pos(T);
  for (std::size_t t = 0; t < T; ++t) pos[t] = t;
  at_each_isa([&] {
    std::vector<float> q(T * Q), k(T * KV);
    for (std::size_t t = 0; t < T; ++t) {
      std::copy_n(&qkv[t * (Q + 2 * KV)], Q, &q[t * Q]);
      std::copy_n(&qkv[t * (Q + 2 * KV) + Q], KV, &k[t * KV]);
    }
    kernels::rope(q.data(), T, Hq, d, pos.data(), freq.inv_freq.data(), freq.concentration);
    kernels::rope(k.data(), T, Hkv, d, pos.data(), freq.inv_freq.data(), freq.concentration);
    EXPECT_LE(max_rel_diff(q, ref("attn.rope.q")), 2e-6f);
    EXPECT_LE(max_rel_diff(k, ref("attn.rope.k")), 2e-6f);
  });
}

TEST(OpsVsReference, AttentionWithSinksAndWindowIsSdpa) {
  // Block 0 slides (window 8). The cache: blocks of 16 positions holding rope.k and v.
  auto q = ref("attn.rope.q"), k = ref("attn.rope.k"), qkv = ref("attn.qkv");
  const std::size_t B = 16, nb = (T + B - 1) / B;
  std::vector<std::vector<float>> store(nb, std::vector<float>(2 * B * KV));
  std::vector<const float*> blocks(nb);
  for (std::size_t t = 0; t < T; ++t) {
    std::copy_n(&k[t * KV], KV, &store[t / B][(t % B) * KV]);
    std::copy_n(&qkv[t * (Q + 2 * KV) + Q + KV], KV, &store[t / B][(B + t % B) * KV]);
  }
  for (std::size_t b = 0; b < nb; ++b) blocks[b] = store[b].data();
  std::vector<float> sinks(Hq);
  for (std::size_t h = 0; h < Hq; ++h) sinks[h] = kernels::bf16_to_f32(bf16("block.0.attn.sinks")[h]);
  std::vector<std::size_t> pos(T);
  for (std::size_t t = 0; t < T; ++t) pos[t] = t;
  at_each_isa([&] {
    std::vector<float> out(T * Q);
    kernels::attention(q.data(), pos.data(), T, {blocks.data(), B, KV}, {Hq, Hkv, d, 8, 0.25f, sinks.data()},
                       out.data(), 0, T * Hq);
    EXPECT_LE(max_rel_diff(out, ref("attn.sdpa")), 2e-6f);
  });
}

TEST(OpsVsReference, TopKSoftmaxOfGateIsRouting) {
  auto gate = ref("mlp.gate");
  auto want_idx = golden().i32("seq0.fp32.block0.mlp.expert_idx");
  auto want_w = golden().f32("seq0.fp32.block0.mlp.expert_w");
  at_each_isa([&] {
    std::vector<std::int32_t> idx(T * K);
    std::vector<float> w(T * K);
    kernels::topk_softmax(gate.data(), T, E, K, idx.data(), w.data());
    for (std::size_t t = 0; t < T; ++t) {
      std::map<int, float> got, want;
      for (std::size_t j = 0; j < K; ++j) {
        got[idx[t * K + j]] = w[t * K + j];
        want[want_idx[t * K + j]] = want_w[t * K + j];
      }
      ASSERT_EQ(got.size(), want.size());
      for (auto [e, v] : want) {
        ASSERT_TRUE(got.count(e)) << "token " << t << " expert " << e;
        EXPECT_NEAR(got[e], v, 1e-6f);
      }
    }
  });
}

TEST(OpsVsReference, ExpertsWithSwigluAndResidualAreMlpResid) {
  // mlp.resid = attn.resid + sum_k w_k (mlp2_k(swiglu(mlp1_k(mlp.norm)))), per token.
  auto t_in = ref("mlp.norm"), resid = ref("attn.resid"), want = ref("mlp.resid");
  auto idx = golden().i32("seq0.fp32.block0.mlp.expert_idx");
  auto wts = golden().f32("seq0.fp32.block0.mlp.expert_w");
  const std::uint8_t *b1 = u8("block.0.mlp.mlp1_weight.blocks"), *s1 = u8("block.0.mlp.mlp1_weight.scales");
  const std::uint8_t *b2 = u8("block.0.mlp.mlp2_weight.blocks"), *s2 = u8("block.0.mlp.mlp2_weight.scales");
  const std::uint16_t *bias1 = bf16("block.0.mlp.mlp1_bias"), *bias2 = bf16("block.0.mlp.mlp2_bias");
  at_each_isa([&] {
    std::vector<float> x = resid, h1(2 * I), act(I), y(H), moe(T * H, 0.0f);
    for (std::size_t t = 0; t < T; ++t) {
      for (std::size_t j = 0; j < K; ++j) {
        const std::size_t e = static_cast<std::size_t>(idx[t * K + j]);
        kernels::matmul_mxfp4(&t_in[t * H], 1, H, b1 + e * 2 * I * (H / 32) * 16, s1 + e * 2 * I * (H / 32),
                              bias1 + e * 2 * I, h1.data(), 2 * I, 0, 2 * I);
        kernels::swiglu(h1.data(), 1, I, 1.702f, 7.0f, act.data());
        kernels::matmul_mxfp4(act.data(), 1, I, b2 + e * H * (I / 32) * 16, s2 + e * H * (I / 32), bias2 + e * H,
                              y.data(), H, 0, H);
        kernels::axpy_f32(wts[t * K + j], y.data(), &moe[t * H], H);
      }
    }
    kernels::residual_add(x.data(), moe.data(), T * H);
    EXPECT_LE(max_rel_diff(x, want), 2e-5f);
  });
}
