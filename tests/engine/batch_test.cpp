// The golden sequences run together in batched steps, interleaved with other sequences and
// with prefixes served from the prefix cache: every sequence's logits equal its solo run and
// the reference; greedy decoding in a batch gives the reference continuation.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "engine/model.hpp"
#include "engine/scheduler.hpp"
#include "engine/session.hpp"
#include "tests/engine/golden_data.hpp"

using namespace ossa;
using namespace ossa::engine;

using test::golden;
using test::max_abs_diff;

namespace {
using ossa::test::pseudo_tokens;

std::vector<float> solo_logits(const std::shared_ptr<const Model>& m, const std::vector<std::int32_t>& tokens) {
  Session s(m);
  return s.append_all_logits(tokens);
}

void run_all(Scheduler& s) {
  for (int guard = 0; s.busy() && guard < 10000; ++guard) s.step();
  ASSERT_FALSE(s.busy());
}

class BatchedGolden : public ::testing::TestWithParam<const char*> {
 protected:
  std::shared_ptr<const Model> model() { return Model::load(test::golden_dir(GetParam()), test::load_options(2)); }
};
}  // namespace

TEST_P(BatchedGolden, SequencesInterleavedInOneBatchEqualTheirSoloRuns) {
  auto m = model();
  SchedulerOptions opt;
  opt.max_step_tokens = 48;  // the long prompts below take several steps, mixed with others
  Scheduler sched(m, opt);
  std::map<SequenceId, std::vector<std::int32_t>> prompts;
  std::map<SequenceId, Result> results;
  for (int i = 0; i < 4; ++i) prompts[sched.open()] = golden().i32("seq" + std::to_string(i) + ".tokens");
  prompts[sched.open()] = pseudo_tokens(300, 7);  // chunked across ~7 steps
  prompts[sched.open()] = pseudo_tokens(23, 8);
  for (auto& [id, p] : prompts) {
    Request r;
    r.prompt = p;
    r.max_tokens = 0;
    r.prompt_logits = true;
    sched.submit(id, r, [&results, id = id](Result res) { results[id] = std::move(res); });
  }
  run_all(sched);
  ASSERT_EQ(results.size(), prompts.size());
  int i = 0;
  for (auto& [id, p] : prompts) {
    const Result& r = results[id];
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.reprocessed, p.size());
    EXPECT_LE(max_abs_diff(r.prompt_logits, solo_logits(m, p)), 1e-5f) << "sequence " << i;
    if (i < 4) {
      EXPECT_LE(max_abs_diff(r.prompt_logits, golden().f32("seq" + std::to_string(i) + ".logits.fp32")), 1e-3f);
    }
    ++i;
  }
}

TEST_P(BatchedGolden, GreedyContinuationInABatchIsTheReference) {
  auto m = model();
  Scheduler sched(m);
  Result greedy, other;
  const SequenceId a = sched.open(), b = sched.open();
  Request ra;
  ra.prompt = golden().greedy_prompt;
  ra.max_tokens = golden().greedy_fp32.size();
  Request rb;
  rb.prompt = pseudo_tokens(70, 9);
  rb.max_tokens = 30;
  sched.submit(b, rb, [&](Result r) { other = std::move(r); });
  sched.step();  // b is already decoding when a arrives
  sched.submit(a, ra, [&](Result r) { greedy = std::move(r); });
  run_all(sched);
  ASSERT_TRUE(greedy.error.empty()) << greedy.error;
  EXPECT_EQ(greedy.tokens, golden().greedy_fp32);
  // b's tokens equal a solo greedy run of b.
  Session s(m);
  s.append(*rb.prompt);
  Sampler g;
  std::vector<std::int32_t> want;
  for (int k = 0; k < 30; ++k) {
    want.push_back(g.sample(s.logits()));
    s.append({&want.back(), 1});
  }
  EXPECT_EQ(other.tokens, want);
}

TEST_P(BatchedGolden, PrefixServedFromTheCacheGivesTheSoloLogits) {
  auto m = model();
  Scheduler sched(m);
  // Each golden sequence after a shared 43-token prefix (two whole blocks and part of a third):
  // the first run fills the cache, the second starts on the cached prefix and computes only
  // the rest.
  const auto prefix = pseudo_tokens(43, 10);
  for (int i = 0; i < 3; ++i) {
    auto tokens = prefix;
    auto g = golden().i32("seq" + std::to_string(i) + ".tokens");
    tokens.insert(tokens.end(), g.begin(), g.end());
    const auto solo = solo_logits(m, tokens);
    for (int round = 0; round < 2; ++round) {
      const SequenceId id = sched.open();
      Request r;
      r.prompt = tokens;
      r.max_tokens = 0;
      r.prompt_logits = true;
      Result res;
      sched.submit(id, r, [&](Result x) { res = std::move(x); });
      // Interleaved with an unrelated sequence.
      const SequenceId other = sched.open();
      Request ro;
      ro.prompt = pseudo_tokens(30, 11 + static_cast<std::uint32_t>(round));
      ro.max_tokens = 5;
      sched.submit(other, ro, [](Result) {});
      run_all(sched);
      ASSERT_TRUE(res.error.empty()) << res.error;
      if (round == 1 || i > 0) {
        EXPECT_GE(res.cached, 43u) << "the shared prefix came from the cache";
      }
      EXPECT_EQ(res.cached + res.reprocessed, tokens.size());
      const std::size_t V = 1024;
      EXPECT_LE(max_abs_diff(res.prompt_logits, std::span<const float>(solo).subspan(res.cached * V)), 1e-5f)
          << "golden sequence " << i << " round " << round;
      sched.close(id);
      sched.close(other);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(TinyA, BatchedGolden, ::testing::Values("tiny-a", "tiny-a-hf"));
