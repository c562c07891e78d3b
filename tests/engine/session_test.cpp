// Session behaviour beyond the golden numbers: rewinding, chunked prefill, the sliding-window
// ring wrapping, input errors, independent sessions on several threads; and the sampler.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <thread>

#include "engine/generate.hpp"
#include "engine/model.hpp"
#include "engine/sampler.hpp"
#include "engine/session.hpp"
#include "tests/engine/golden_data.hpp"

using namespace ossa::engine;

namespace {
std::shared_ptr<const Model> tiny() {
  static auto m = Model::load(ossa::test::golden_dir("tiny-a"), ossa::test::load_options(2));
  return m;
}

using ossa::test::pseudo_tokens;

float max_diff(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}
}  // namespace

TEST(Session, EmptySessionHasNoLogits) {
  Session s(tiny());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.logits().empty());
}

TEST(Session, ShortTruncateRestoresPrefixLogits) {
  auto toks = pseudo_tokens(60, 1);
  Session a(tiny()), b(tiny());
  a.append(toks);
  a.truncate(25);
  EXPECT_EQ(a.size(), 25u);
  b.append(std::span(toks).first(25));
  EXPECT_LE(max_diff(a.logits(), b.logits()), 1e-5f);
  // Continue differently after the rewind.
  auto other = pseudo_tokens(10, 2);
  a.append(other);
  b.append(other);
  EXPECT_LE(max_diff(a.logits(), b.logits()), 1e-5f);
  EXPECT_TRUE(std::equal(a.tokens().begin(), a.tokens().end(), b.tokens().begin(), b.tokens().end()));
}

TEST(Session, LongRewindRecomputesAndWrapsTheRing) {
  // More than window + kRewindSlack tokens, so the sliding layers' ring wraps, then a rewind
  // longer than the slack, which must recompute the prefix.
  const std::size_t n = 8 + kRewindSlack + 100;
  auto toks = pseudo_tokens(n, 3);
  Session a(tiny());
  a.append(toks);
  Session b(tiny());
  for (std::size_t i = 0; i < n; i += 97) b.append(std::span(toks).subspan(i, std::min<std::size_t>(97, n - i)));
  EXPECT_LE(max_diff(a.logits(), b.logits()), 1e-4f) << "chunking changed the result";
  a.truncate(40);
  Session c(tiny());
  c.append(std::span(toks).first(40));
  EXPECT_LE(max_diff(a.logits(), c.logits()), 1e-5f);
}

TEST(Session, BatchedPrefillEqualsTokenByToken) {
  auto toks = pseudo_tokens(300, 4);  // more than one prefill chunk
  Session a(tiny()), b(tiny());
  auto all = a.append_all_logits(toks);
  float worst = 0;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    b.append({&toks[i], 1});
    worst = std::max(worst, max_diff(b.logits(), std::span<const float>(all).subspan(i * 1024, 1024)));
  }
  EXPECT_LE(worst, 1e-4f);
}

TEST(Session, RejectsBadTokensAndOverflowWithoutChange) {
  SessionOptions opt;
  opt.max_context = 10;
  Session s(tiny(), opt);
  std::vector<std::int32_t> ok = {1, 2, 3};
  s.append(ok);
  std::vector<float> before(s.logits().begin(), s.logits().end());
  std::vector<std::int32_t> bad = {5, 1024};
  EXPECT_THROW(s.append(bad), SessionError);
  std::vector<std::int32_t> neg = {-1};
  EXPECT_THROW(s.append(neg), SessionError);
  EXPECT_THROW(s.append(pseudo_tokens(8, 5)), SessionError);
  EXPECT_THROW(s.truncate(4), SessionError);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(max_diff(s.logits(), before), 0.0f);
}

TEST(Session, IndependentSessionsOnSeveralThreads) {
  auto m = tiny();
  std::vector<std::vector<std::int32_t>> prompts = {pseudo_tokens(30, 10), pseudo_tokens(45, 11),
                                                    pseudo_tokens(12, 12), pseudo_tokens(50, 13)};
  std::vector<std::vector<float>> want;
  for (const auto& p : prompts) {
    Session s(m);
    s.append(p);
    want.emplace_back(s.logits().begin(), s.logits().end());
  }
  std::vector<std::vector<float>> got(prompts.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    threads.emplace_back([&, i] {
      Session s(m);  // created and used on this thread
      for (auto t : prompts[i]) s.append({&t, 1});
      got[i].assign(s.logits().begin(), s.logits().end());
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < prompts.size(); ++i) EXPECT_LE(max_diff(got[i], want[i]), 1e-4f) << i;
}

TEST(Generate, StopsOnStopTokenAndIncludesIt) {
  Session s(tiny());
  auto prompt = ossa::test::Golden::load().greedy_prompt;
  s.append(prompt);
  Sampler greedy;
  std::vector<std::int32_t> stop = {792};  // the third golden greedy token
  auto r = generate(s, greedy, 8, stop);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.tokens, (std::vector<std::int32_t>{976, 529, 792}));
  EXPECT_EQ(s.size(), prompt.size() + 3);
}

TEST(Sampler, GreedyPicksArgmaxLowestOnTies) {
  Sampler s;
  std::vector<float> l = {0.1f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(s.sample(l), 1);
}

TEST(Sampler, SeededSamplingIsReproducibleAndFollowsTheDistribution) {
  std::vector<float> l = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 42;
  Sampler a(p), b(p);
  std::map<int, int> counts;
  for (int i = 0; i < 20000; ++i) {
    int x = a.sample(l);
    EXPECT_EQ(x, b.sample(l));
    counts[x]++;
  }
  EXPECT_NEAR(counts[0] / 20000.0, 0.5, 0.02);
  EXPECT_NEAR(counts[1] / 20000.0, 0.3, 0.02);
  EXPECT_NEAR(counts[2] / 20000.0, 0.2, 0.02);
}

TEST(Sampler, TopKAndTopPNarrowTheChoice) {
  std::vector<float> l = {std::log(0.4f), std::log(0.3f), std::log(0.2f), std::log(0.1f)};
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 2;
  Sampler k2(p);
  for (int i = 0; i < 2000; ++i) EXPECT_LT(k2.sample(l), 2);
  p.top_k = 0;
  p.top_p = 0.65f;  // 0.4 + 0.3 reaches it: tokens 0 and 1 only
  Sampler tp(p);
  std::map<int, int> counts;
  for (int i = 0; i < 4000; ++i) counts[tp.sample(l)]++;
  EXPECT_EQ(counts.count(2) + counts.count(3), 0u);
  EXPECT_GT(counts[1], 1200);
}

TEST(Sampler, LowTemperatureApproachesGreedy) {
  std::vector<float> l = {1.0f, 2.0f, 1.5f};
  SamplingParams p;
  p.temperature = 0.01f;
  Sampler s(p);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(s.sample(l), 1);
}
