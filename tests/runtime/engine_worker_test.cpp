// The EngineWorker over the real engine: several sessions' chunks run in the same batched
// steps (one scheduler per model), each session keeps its sequence between chunks and rounds,
// and their tokens equal solo runs; sources that go away free their sequences.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <future>

#include "engine/model.hpp"
#include "engine/sampler.hpp"
#include "engine/session.hpp"
#include "runtime/engine_token_source.hpp"
#include "runtime/engine_worker.hpp"

using namespace ossa;
using namespace ossa::runtime;
namespace asio = boost::asio;

namespace {
std::shared_ptr<const engine::Model> tiny() {
  return engine::Model::load(std::filesystem::path(OSSA_TEST_DATA_DIR) / "golden" / "tiny-a", {2});
}

std::vector<TokenId> pseudo_tokens(std::size_t n, std::uint32_t seed) {
  std::vector<TokenId> v(n);
  for (auto& t : v) {
    seed = seed * 1664525u + 1013904223u;
    t = (seed >> 8) % 1024;
  }
  return v;
}

// Greedy continuation of `prompt` by a plain Session.
std::vector<TokenId> solo(const std::shared_ptr<const engine::Model>& m, const std::vector<TokenId>& prompt, int n) {
  engine::Session s(m);
  std::vector<std::int32_t> p(prompt.begin(), prompt.end());
  s.append(p);
  engine::Sampler g;
  std::vector<TokenId> out;
  for (int i = 0; i < n; ++i) {
    std::int32_t t = g.sample(s.logits());
    out.push_back(static_cast<TokenId>(t));
    s.append({&t, 1});
  }
  return out;
}
}  // namespace

TEST(EngineWorker, SessionsRunInSharedStepsAndMatchSoloRuns) {
  auto model = tiny();
  asio::io_context io;
  EngineWorker worker;
  constexpr int kSessions = 3;
  std::vector<std::unique_ptr<EngineTokenSource>> sources;
  std::vector<std::vector<TokenId>> prompts, got(kSessions), round2(kSessions), round2_prompt(kSessions);
  std::vector<std::size_t> reprocessed(kSessions);
  for (int i = 0; i < kSessions; ++i) {
    sources.push_back(std::make_unique<EngineTokenSource>(model, engine::SamplingParams{}));
    prompts.push_back(pseudo_tokens(40 + 30 * static_cast<std::size_t>(i), 20 + static_cast<std::uint32_t>(i)));
  }
  for (int i = 0; i < kSessions; ++i) {
    asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
      ChunkRequest req;
      req.prompt = prompts[i];
      req.max_tokens = 4;
      for (int chunk = 0; chunk < 3; ++chunk) {  // 12 tokens in chunks of 4
        Chunk c = co_await worker.generate(*sources[i], req);
        EXPECT_TRUE(c.error.empty()) << c.error;
        got[i].insert(got[i].end(), c.tokens.begin(), c.tokens.end());
        req.prompt.reset();
      }
      // The next round re-renders the context with a tool result appended.
      round2_prompt[i] = prompts[i];
      round2_prompt[i].insert(round2_prompt[i].end(), got[i].begin(), got[i].end());
      auto extra = pseudo_tokens(7, 50 + static_cast<std::uint32_t>(i));
      round2_prompt[i].insert(round2_prompt[i].end(), extra.begin(), extra.end());
      req.prompt = round2_prompt[i];
      req.max_tokens = 5;
      Chunk c = co_await worker.generate(*sources[i], req);
      reprocessed[i] = c.reprocessed;
      round2[i] = c.tokens;
    }, asio::detached);
  }
  io.run();
  EXPECT_EQ(worker.sequences(), static_cast<std::size_t>(kSessions));
  for (int i = 0; i < kSessions; ++i) {
    EXPECT_EQ(got[i], solo(model, prompts[i], 12)) << "session " << i;
    EXPECT_EQ(round2[i], solo(model, round2_prompt[i], 5)) << "session " << i;
    // Only the tail was computed: the last sampled token and the 7 new ones.
    EXPECT_LE(reprocessed[i], 8u) << "session " << i;
  }
  sources.clear();
  std::promise<void> drained;
  worker.post([&] { drained.set_value(); });
  drained.get_future().wait();
  EXPECT_EQ(worker.sequences(), 0u) << "destroyed sources freed their sequences";
  model->clear_prefix_cache();
  EXPECT_EQ(model->kv_stats().used_blocks, 0u);
}

TEST(EngineWorker, CancelFlagEndsAChunkBetweenSteps) {
  auto model = tiny();
  asio::io_context io;
  EngineWorker worker;
  EngineTokenSource src(model, {});
  std::atomic<bool> cancel{true};
  Chunk c;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    ChunkRequest req;
    req.prompt = pseudo_tokens(30, 3);
    req.max_tokens = 50;
    req.cancel = &cancel;
    c = co_await worker.generate(src, req);
  }, asio::detached);
  io.run();
  EXPECT_TRUE(c.error.empty()) << c.error;
  EXPECT_LT(c.tokens.size(), 50u);
}
