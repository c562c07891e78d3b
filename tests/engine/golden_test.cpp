// The engine against OpenAI's reference (fp32 variant) on the tiny-a checkpoint, in both the
// original and the Hugging Face layout: logits at every position, every intermediate of
// sequence 0, routing, greedy continuation, MXFP4 decode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "engine/generate.hpp"
#include "engine/model.hpp"
#include "engine/session.hpp"
#include "engine/rope.hpp"
#include "engine/trace.hpp"
#include "kernels/cpu/bf16.hpp"
#include "kernels/cpu/mxfp4.hpp"
#include "tests/engine/golden_data.hpp"

using namespace ossa;
using engine::Model;
using engine::Session;

using test::golden;
using test::max_abs_diff;

namespace {
class GoldenLayouts : public ::testing::TestWithParam<const char*> {
 protected:
  std::shared_ptr<const Model> model() {
    return Model::load(test::golden_dir(GetParam()), test::load_options(2));
  }
};
}  // namespace

TEST_P(GoldenLayouts, LogitsMatchReferenceAtEveryPosition) {
  auto m = model();
  for (int i = 0; i < 4; ++i) {
    const std::string p = "seq" + std::to_string(i);
    auto tokens = golden().i32(p + ".tokens");
    auto want = golden().f32(p + ".logits.fp32");
    Session s(m);
    auto got = s.append_all_logits(tokens);
    float diff = max_abs_diff(got, want);
    EXPECT_LE(diff, 1e-3f) << p;
    RecordProperty(p + "_max_abs_diff", std::to_string(diff));
    std::printf("%s %s max |logit - golden fp32| = %.3g\n", GetParam(), p.c_str(), static_cast<double>(diff));
    EXPECT_LE(diff, 1e-4f) << p << " (two correct fp32 implementations differ by ~2e-5)";
    // The session's own logits() are the last row.
    std::vector<float> last(s.logits().begin(), s.logits().end());
    std::vector<float> want_last(want.end() - 1024, want.end());
    EXPECT_LE(max_abs_diff(last, want_last), 1e-3f);
  }
}

TEST_P(GoldenLayouts, TokenByTokenDecodeMatchesReference) {
  auto m = model();
  auto tokens = golden().i32("seq1.tokens");
  auto want = golden().f32("seq1.logits.fp32");
  Session s(m);
  float worst = 0.0f;
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    s.append({&tokens[t], 1});
    for (std::size_t v = 0; v < 1024; ++v) worst = std::max(worst, std::fabs(s.logits()[v] - want[t * 1024 + v]));
  }
  EXPECT_LE(worst, 1e-3f);
}

TEST_P(GoldenLayouts, GreedyContinuationIsIdentical) {
  auto m = model();
  Session s(m);
  s.append(golden().greedy_prompt);
  engine::Sampler greedy;
  auto r = engine::generate(s, greedy, golden().greedy_fp32.size());
  EXPECT_EQ(r.tokens, golden().greedy_fp32);
  EXPECT_FALSE(r.stopped);
}

INSTANTIATE_TEST_SUITE_P(TinyA, GoldenLayouts, ::testing::Values("tiny-a", "tiny-a-hf"));

TEST(Golden, EveryIntermediateOfSequence0MatchesReference) {
  auto m = Model::load(test::golden_dir("tiny-a"), test::load_options(1));
  auto tokens = golden().i32("seq0.tokens");
  std::map<std::string, std::vector<float>> got;
  engine::TraceFn trace = [&](const std::string& name, const float* data, std::size_t rows, std::size_t cols) {
    got[name].assign(data, data + rows * cols);
  };
  engine::trace_forward(*m, tokens, trace);

  std::vector<std::string> names = {"embedding"};
  for (int b = 0; b < 4; ++b) {
    for (const char* n : {"attn.norm", "attn.qkv", "attn.rope.q", "attn.rope.k", "attn.sdpa",
                          "attn.resid", "mlp.norm", "mlp.gate", "mlp.resid"}) {
      names.push_back("block" + std::to_string(b) + "." + n);
    }
  }
  names.push_back("final_norm");
  for (const auto& n : names) {
    const std::string key = "seq0.fp32." + n;
    auto want = n == "embedding" && !golden().bin.find(key) ? std::vector<float>{} : golden().f32(key);
    if (want.empty()) continue;
    ASSERT_TRUE(got.count(n)) << n;
    float scale = 0.0f;
    for (float v : want) scale = std::max(scale, std::fabs(v));
    EXPECT_LE(max_abs_diff(got[n], want), 2e-5f * std::max(1.0f, scale)) << n;
  }
  // Routing: the same expert set per token, and the same weight for each expert.
  for (int b = 0; b < 4; ++b) {
    const std::string p = "block" + std::to_string(b) + ".mlp.";
    auto want_idx = golden().i32("seq0.fp32." + p + "expert_idx");
    auto want_w = golden().f32("seq0.fp32." + p + "expert_w");
    const auto& idx = got[p + "expert_idx"];
    const auto& w = got[p + "expert_w"];
    ASSERT_EQ(idx.size(), want_idx.size());
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      std::map<int, float> a, e;
      for (int j = 0; j < 4; ++j) {
        a[static_cast<int>(idx[t * 4 + static_cast<std::size_t>(j)])] = w[t * 4 + static_cast<std::size_t>(j)];
        e[want_idx[t * 4 + static_cast<std::size_t>(j)]] = want_w[t * 4 + static_cast<std::size_t>(j)];
      }
      ASSERT_EQ(a.size(), e.size());
      for (auto& [k, v] : e) {
        ASSERT_TRUE(a.count(k)) << p << " token " << t << " expert " << k;
        EXPECT_NEAR(a[k], v, 1e-5f);
      }
    }
  }
}

TEST(Golden, Mxfp4DecodeIsBitExactWithReference) {
  auto ck = engine::SafetensorsFile::open(test::golden_dir("tiny-a") / "model.safetensors");
  struct Case { const char* blocks; const char* scales; const char* want; std::size_t rows, K; };
  for (const Case& c : {Case{"block.0.mlp.mlp1_weight.blocks", "block.0.mlp.mlp1_weight.scales",
                             "block0.mlp1_weight.dequantized", 8 * 192, 64},
                        Case{"block.0.mlp.mlp2_weight.blocks", "block.0.mlp.mlp2_weight.scales",
                             "block0.mlp2_weight.dequantized", 8 * 64, 96}}) {
    const auto* b = ck.find(c.blocks);
    const auto* s = ck.find(c.scales);
    const auto* want = golden().bin.find(c.want);
    ASSERT_TRUE(b && s && want);
    ASSERT_EQ(want->nbytes, c.rows * c.K * 2);
    const auto* wv = reinterpret_cast<const std::uint16_t*>(want->data);
    std::vector<float> row(c.K);
    std::size_t mismatches = 0;
    for (std::size_t r = 0; r < c.rows; ++r) {
      kernels::mxfp4_decode_row(b->data + r * (c.K / 32) * 16, s->data + r * (c.K / 32), c.K, row.data());
      for (std::size_t k = 0; k < c.K; ++k) {
        if (kernels::f32_to_bf16(row[k]) != wv[r * c.K + k]) ++mismatches;
      }
    }
    EXPECT_EQ(mismatches, 0u) << c.want;
  }
}

TEST(Golden, RopeTableMatchesReference) {
  auto m = Model::load(test::golden_dir("tiny-a"));
  auto cos_t = golden().f32("rope.cos");
  auto sin_t = golden().f32("rope.sin");
  const auto rope = engine::yarn_frequencies(m->config());
  for (std::size_t p = 0; p < 40; ++p) {
    for (std::size_t i = 0; i < 8; ++i) {
      const float a = static_cast<float>(p) * rope.inv_freq[i];
      EXPECT_NEAR(std::cos(a) * rope.concentration, cos_t[p * 8 + i], 2e-6f) << p << "," << i;
      EXPECT_NEAR(std::sin(a) * rope.concentration, sin_t[p * 8 + i], 2e-6f) << p << "," << i;
    }
  }
}
