// The scheduler's policy and the KV cache's bookkeeping: admission under a memory budget,
// chunked prefill, fairness to running decodes, cancellation, budget exhaustion errors, the
// sliding layers' bounded memory, prefix-cache sharing (copy-on-write, LRU eviction), and
// that every block goes back to the pool.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/model.hpp"
#include "engine/scheduler.hpp"
#include "engine/session.hpp"
#include "tests/engine/golden_data.hpp"

using namespace ossa::engine;

namespace {
// tiny-a: 4 layers (2 sliding, window 8), kv width 32: a block of 16 positions of one layer
// is 2 * 16 * 32 * 4 = 4 KiB.
constexpr std::uint64_t kBlock = 4096;

std::shared_ptr<const Model> tiny_model(std::uint64_t kv_bytes = 0) {
  return Model::load(ossa::test::golden_dir("tiny-a"), ossa::test::load_options(2, kv_bytes));
}

using ossa::test::pseudo_tokens;

Request prompt(std::vector<std::int32_t> p, std::size_t max_tokens) {
  Request r;
  r.prompt = std::move(p);
  r.max_tokens = max_tokens;
  return r;
}

// A Session on its own model instance (its own KV budget): the reference each scheduled
// sequence must reproduce.
std::vector<std::int32_t> solo_greedy(const std::shared_ptr<const Model>&, const std::vector<std::int32_t>& p,
                                      std::size_t n) {
  static const auto reference = tiny_model();
  Session s(reference);
  s.append(p);
  Sampler g;
  std::vector<std::int32_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(g.sample(s.logits()));
    s.append({&out.back(), 1});
  }
  return out;
}

void step_until_idle(Scheduler& s) {
  for (int guard = 0; s.busy() && guard < 100000; ++guard) s.step();
}

// Submits a request and steps until every request is done; its result.
Result submit_and_finish(Scheduler& s, SequenceId id, Request r) {
  Result out;
  s.submit(id, std::move(r), [&out](Result x) { out = std::move(x); });
  step_until_idle(s);
  return out;
}
}  // namespace

TEST(KvBlocks, SlidingLayersKeepOnlyTheirWindow) {
  auto m = tiny_model();
  SchedulerOptions opt;
  opt.prefix_cache = false;
  Scheduler sched(m, opt);
  const SequenceId id = sched.open();
  sched.submit(id, prompt(pseudo_tokens(500, 1), 0), [](Result) {});
  step_until_idle(sched);
  // Full layers: 2 x ceil(500 / 16) = 64 blocks. Sliding layers keep window 8 plus one block
  // of slack, which spans at most 3 blocks each.
  const auto st = m->kv_stats();
  EXPECT_GE(st.used_blocks, 64u);
  EXPECT_LE(st.used_blocks, 64u + 2 * 3);
  sched.close(id);
  EXPECT_EQ(m->kv_stats().used_blocks, 0u);
}

TEST(Scheduler, ChunkedPrefillRespectsTheStepBudgetAndMatchesSolo) {
  auto m = tiny_model();
  SchedulerOptions opt;
  opt.max_step_tokens = 64;
  Scheduler sched(m, opt);
  const auto p = pseudo_tokens(300, 2);
  Result res;
  sched.submit(sched.open(), prompt(p, 8), [&](Result r) { res = std::move(r); });
  int steps = 0;
  while (sched.busy()) {
    const auto rep = sched.step();
    EXPECT_LE(rep.prefill_tokens + rep.decode_tokens, 64u);
    ++steps;
  }
  EXPECT_GE(steps, 5 + 7);  // 300 tokens in chunks of 64, then 7 decode steps
  EXPECT_EQ(res.tokens, solo_greedy(m, p, 8));
}

TEST(Scheduler, ALongPromptDoesNotStallRunningDecodes) {
  auto m = tiny_model();
  SchedulerOptions opt;
  opt.max_step_tokens = 32;
  Scheduler sched(m, opt);
  std::size_t a_tokens = 0;
  const SequenceId a = sched.open(), b = sched.open();
  Result ra;
  sched.submit(a, prompt(pseudo_tokens(20, 3), 40), [&](Result r) { ra = std::move(r); });
  sched.step();  // a's prompt, its first token sampled
  Result rb;
  sched.submit(b, prompt(pseudo_tokens(400, 4), 2), [&](Result r) { rb = std::move(r); });
  // While b's 400-token prompt is being computed, a gets a token every single step.
  for (;;) {
    const auto rep = sched.step();
    if (rep.prefill_tokens == 0) break;
    EXPECT_EQ(rep.decode_tokens, 1u) << "a was left out of a step";
    EXPECT_LE(rep.prefill_tokens, 31u);
    ++a_tokens;
  }
  step_until_idle(sched);
  EXPECT_EQ(ra.tokens.size(), 40u);
  EXPECT_EQ(rb.tokens.size(), 2u);
  EXPECT_GT(a_tokens, 10u) << "b's prompt was computed alongside a's decoding";
  EXPECT_EQ(ra.tokens, solo_greedy(m, *prompt(pseudo_tokens(20, 3), 0).prompt, 40));
}

TEST(Scheduler, CancelMidPrefillStopsAtTheStepBoundaryAndLeaksNothing) {
  auto m = tiny_model();
  SchedulerOptions opt;
  opt.max_step_tokens = 32;
  Scheduler sched(m, opt);
  const SequenceId a = sched.open(), b = sched.open();
  Result ra, rb;
  sched.submit(a, prompt(pseudo_tokens(300, 5), 4), [&](Result r) { ra = std::move(r); });
  sched.submit(b, prompt(pseudo_tokens(30, 6), 20), [&](Result r) {
    rb = std::move(r);
  });
  sched.step();
  sched.step();
  sched.cancel(a);  // a is part way through its prompt
  const auto rep = sched.step();
  EXPECT_TRUE(ra.cancelled);
  EXPECT_TRUE(ra.tokens.empty());
  EXPECT_GE(rep.sequences, 1u);  // b went on in the same step
  step_until_idle(sched);
  EXPECT_FALSE(rb.cancelled);
  EXPECT_EQ(rb.tokens.size(), 20u);
  // A new request on the cancelled sequence picks up its context where it stopped.
  const Result again = submit_and_finish(sched, a, prompt(pseudo_tokens(300, 5), 4));
  EXPECT_LT(again.reprocessed, 300u);
  EXPECT_EQ(again.tokens, solo_greedy(m, pseudo_tokens(300, 5), 4));
  sched.close(a);
  sched.close(b);
  m->clear_prefix_cache();
  EXPECT_EQ(m->kv_stats().used_blocks, 0u) << "every block returned to the free list";
}

TEST(Scheduler, CloseWhileRunningFinishesTheRequestCancelled) {
  auto m = tiny_model();
  Scheduler sched(m);
  const SequenceId a = sched.open();
  Result ra;
  bool called = false;
  sched.submit(a, prompt(pseudo_tokens(50, 7), 100), [&](Result r) {
    called = true;
    ra = std::move(r);
  });
  sched.step();
  sched.close(a);
  EXPECT_TRUE(called);
  EXPECT_TRUE(ra.cancelled);
  EXPECT_FALSE(sched.busy());
  m->clear_prefix_cache();
  EXPECT_EQ(m->kv_stats().used_blocks, 0u);
}

TEST(Scheduler, ARequestLargerThanTheWholeBudgetFailsWithAClearError) {
  auto m = tiny_model(64 * kBlock);  // 64 blocks: 16 tokens of 4 layers = 4 blocks
  Scheduler sched(m);
  const Result r = submit_and_finish(sched, sched.open(), prompt(pseudo_tokens(1000, 8), 10));
  EXPECT_NE(r.error.find("KV cache cannot hold"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("--kv-memory"), std::string::npos) << r.error;
  EXPECT_EQ(m->kv_stats().used_blocks, 0u);
}

TEST(Scheduler, RequestsThatDoNotFitTogetherWaitForAdmission) {
  auto m = tiny_model(64 * kBlock);
  SchedulerOptions opt;
  opt.prefix_cache = false;
  Scheduler sched(m, opt);
  // Each needs about 2 x 13 (full) + 2 x 3 (sliding) + 4 (copy-on-write) = 36 blocks: one at a time.
  const auto pa = pseudo_tokens(190, 9), pb = pseudo_tokens(190, 10);
  Result ra, rb;
  const SequenceId a = sched.open(), b = sched.open();
  sched.submit(a, prompt(pa, 10), [&](Result r) { ra = std::move(r); });
  sched.submit(b, prompt(pb, 10), [&](Result r) { rb = std::move(r); });
  const auto first = sched.step();
  EXPECT_EQ(first.sequences, 1u) << "b waits while a runs";
  step_until_idle(sched);
  EXPECT_TRUE(ra.error.empty()) << ra.error;
  EXPECT_TRUE(rb.error.empty()) << rb.error;
  EXPECT_GT(rb.queued_ms, 0.0);
  EXPECT_EQ(ra.tokens, solo_greedy(m, pa, 10));
  EXPECT_EQ(rb.tokens, solo_greedy(m, pb, 10));
}

TEST(Scheduler, BadTokensAndContextOverflowAreErrorsNotCrashes) {
  auto m = tiny_model();
  Scheduler sched(m);
  Result r1, r2, r3;
  sched.submit(sched.open(), prompt({1, 2, 5000}, 1), [&](Result r) { r1 = std::move(r); });
  sched.submit(sched.open(), prompt({1, 2}, m->config().context_length()), [&](Result r) { r2 = std::move(r); });
  sched.submit(sched.open(), prompt({}, 1), [&](Result r) { r3 = std::move(r); });
  step_until_idle(sched);
  EXPECT_NE(r1.error.find("outside the vocabulary"), std::string::npos) << r1.error;
  EXPECT_NE(r2.error.find("context overflow"), std::string::npos) << r2.error;
  EXPECT_NE(r3.error.find("empty"), std::string::npos) << r3.error;
}

TEST(PrefixCache, SharedBlocksAreCopiedOnWriteAndSharersKeepTheirResults) {
  auto m = tiny_model();
  Scheduler sched(m);
  // a computes 64 tokens (4 whole blocks); b's prompt is exactly those 64: b takes 3 blocks
  // and the first 15 positions of the 4th from the cache and recomputes the last token,
  // writing into its own copy of that block; a's state must not change.
  const auto p = pseudo_tokens(64, 11);
  const SequenceId a = sched.open(), b = sched.open();
  Result ra = submit_and_finish(sched, a, prompt(p, 0));
  const Result rb = submit_and_finish(sched, b, prompt(p, 6));
  EXPECT_EQ(rb.cached, 63u);
  EXPECT_EQ(rb.reprocessed, 1u);
  const auto want = solo_greedy(m, p, 6);
  EXPECT_EQ(rb.tokens, want);
  // a continues from its own (shared) blocks.
  Request more;
  more.max_tokens = 6;
  ra = submit_and_finish(sched, a, more);
  EXPECT_EQ(ra.tokens, want);
  // Re-running a prompt equal to a's whole context (logits still valid) computes nothing.
  ra = submit_and_finish(sched, a, prompt(sched.context(a), 1));
  EXPECT_LE(ra.reprocessed, 1u);
}

TEST(PrefixCache, APrefixEndingInsideABlockIsServedToTheToken) {
  auto m = tiny_model();
  Scheduler sched(m);
  // b shares a's first 40 tokens: two whole blocks and 8 positions of the third, which b
  // copies before writing its own tokens after them.
  const auto pa = pseudo_tokens(64, 13);
  auto pb = std::vector<std::int32_t>(pa.begin(), pa.begin() + 40);
  const auto tail = pseudo_tokens(20, 14);
  pb.insert(pb.end(), tail.begin(), tail.end());
  ASSERT_NE(pb[40], pa[40]);
  const SequenceId a = sched.open(), b = sched.open();
  Result ra = submit_and_finish(sched, a, prompt(pa, 0));
  const Result rb = submit_and_finish(sched, b, prompt(pb, 6));
  EXPECT_EQ(rb.cached, 40u);
  EXPECT_EQ(rb.reprocessed, 20u);
  EXPECT_EQ(rb.tokens, solo_greedy(m, pb, 6));
  Request more;
  more.max_tokens = 6;
  ra = submit_and_finish(sched, a, more);
  EXPECT_EQ(ra.tokens, solo_greedy(m, pa, 6)) << "a's block was not written by b";
  sched.close(a);
  sched.close(b);
  m->clear_prefix_cache();
  EXPECT_EQ(m->kv_stats().used_blocks, 0u);
}

TEST(PrefixCache, EvictsLeastRecentlyUsedUnderTheBudget) {
  auto m = tiny_model(96 * kBlock);
  Scheduler sched(m);
  const auto keep = pseudo_tokens(40, 12);
  // Many distinct prompts, far more than the budget holds at once: the cache evicts, nothing fails.
  for (std::uint32_t i = 0; i < 12; ++i) {
    const SequenceId id = sched.open();
    auto p = (i % 3 == 0) ? keep : pseudo_tokens(100, 100 + i);
    const Result r = submit_and_finish(sched, id, prompt(p, 2));
    ASSERT_TRUE(r.error.empty()) << i << ": " << r.error;
    if (i % 3 == 0 && i > 0) {
      EXPECT_EQ(r.cached, 32u) << "the recently used prefix survived eviction";
    }
    sched.close(id);
  }
  const auto st = m->kv_stats();
  EXPECT_LE(st.used_blocks, st.capacity_blocks);
  EXPECT_EQ(st.used_blocks, st.prefix_only_blocks) << "with every sequence closed only the cache holds blocks";
  m->clear_prefix_cache();
  EXPECT_EQ(m->kv_stats().used_blocks, 0u);
}

TEST(Scheduler, IdleSequencesGiveTheirBlocksBackWhenOthersNeedThem) {
  auto m = tiny_model(80 * kBlock);
  SchedulerOptions opt;
  opt.prefix_cache = false;
  Scheduler sched(m, opt);
  const auto pa = pseudo_tokens(150, 13), pb = pseudo_tokens(150, 14);
  const SequenceId a = sched.open(), b = sched.open();
  Result ra = submit_and_finish(sched, a, prompt(pa, 3));
  const Result rb = submit_and_finish(sched, b, prompt(pb, 3));
  EXPECT_TRUE(rb.error.empty()) << rb.error;
  EXPECT_EQ(rb.tokens, solo_greedy(m, pb, 3));
  // a's context survived being parked: continuing it recomputes and gives the solo result.
  Request more;
  more.max_tokens = 3;
  ra = submit_and_finish(sched, a, more);
  std::vector<std::int32_t> full = pa;
  auto first = solo_greedy(m, pa, 6);
  EXPECT_EQ(ra.tokens, std::vector<std::int32_t>(first.begin() + 3, first.end()));
}
