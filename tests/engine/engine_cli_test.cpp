// The engine's commands from the outside: `ossa logits`, `generate`, `model info/synth`.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/cli/subprocess.hpp"
#include "tests/engine/golden_data.hpp"

using ossa::test::run_ossa;

namespace {
std::string join(const std::vector<std::int32_t>& v) {
  std::ostringstream os;  // (string operator+ chains trip GCC 12's -Wrestrict)
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
  return os.str();
}
}  // namespace

TEST(EngineCli, LogitsAllPositionsMatchGolden) {
  auto g = ossa::test::Golden::load();
  auto tokens = g.i32("seq2.tokens");
  auto want = g.f32("seq2.logits.fp32");
  auto r = run_ossa({"logits", "--model", ossa::test::golden_dir("tiny-a-hf").string(), "--tokens",
                     join(tokens), "--all-positions", "--threads", "1", "--device", ossa::test::test_device()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["logits"].size(), tokens.size());
  float worst = 0;
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    for (std::size_t v = 0; v < 1024; ++v) {
      worst = std::max(worst, std::fabs(j["logits"][t][v].get<float>() - want[t * 1024 + v]));
    }
  }
  EXPECT_LE(worst, 1e-3f);
}

TEST(EngineCli, GenerateGreedyMatchesGolden) {
  auto g = ossa::test::Golden::load();
  auto r = run_ossa({"generate", "--model", ossa::test::golden_dir("tiny-a").string(), "--tokens",
                     join(g.greedy_prompt), "-n", "8", "--device", ossa::test::test_device()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tokens"].get<std::vector<std::int32_t>>(), g.greedy_fp32);
  // Seeded sampling is reproducible.
  std::vector<std::string> args = {"generate", "--model", ossa::test::golden_dir("tiny-a").string(),
                                   "--tokens", "1,2,3", "-n", "6", "--temperature", "1", "--seed", "9"};
  auto a = run_ossa(args), b = run_ossa(args);
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
}

// --device (engine/device.hpp) on the engine commands: auto says on stderr which device it chose
// and why; cuda without a usable device (or in a build without CUDA) is one clear line, exit 1;
// a value that is no device is a usage error before anything loads.
TEST(EngineCli, DeviceOptionSaysWhichAndFailsClearly) {
  const auto model = ossa::test::golden_dir("tiny-a").string();
  for (std::vector<std::string> u_args : {std::vector<std::string>{"logits", "--tokens", "1"},
                                          std::vector<std::string>{"generate", "--tokens", "1"},
                                          std::vector<std::string>{"bench"}}) {
    const std::string cmd = u_args[0];
    u_args.insert(u_args.end(), {"--model", "/no-such-model", "--device", "gpu"});
    auto u = run_ossa(u_args);
    EXPECT_EQ(u.exit_code, 2) << u.err;
    EXPECT_NE(u.err.find("--device: unknown device \"gpu\"; expected auto, cpu, cuda or cuda:N"), std::string::npos)
        << cmd << ": " << u.err;
  }
  auto a = run_ossa({"logits", "--model", model, "--tokens", "1,2", "--device", "auto"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_NE(a.err.find("device: "), std::string::npos) << a.err;
  if (a.err.find("device: cuda") != std::string::npos) GTEST_SKIP() << "a CUDA device is present: " << a.err;
  EXPECT_NE(a.err.find("device: cpu (auto: "), std::string::npos) << a.err;
  auto c = run_ossa({"logits", "--model", model, "--tokens", "1,2", "--device", "cuda"});
  EXPECT_EQ(c.exit_code, 1) << c.err;
  EXPECT_TRUE(c.err.find("this ossa was built without CUDA") != std::string::npos ||
              c.err.find("no CUDA device") != std::string::npos)
      << c.err;
  EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << c.err;
  EXPECT_TRUE(c.out.empty()) << c.out;
  // The CPU, asked for, says nothing about devices.
  auto p = run_ossa({"logits", "--model", model, "--tokens", "1,2", "--device", "cpu"});
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.err.find("device:"), std::string::npos) << p.err;
}

// --weights-q8 on the engine commands: logits move by the 8-bit error (bounded in
// weights_q8_test.cpp), and bench says which weights are 8-bit and reads fewer bytes per token.
TEST(EngineCli, WeightsQ8ReachesLogitsAndBench) {
  auto g = ossa::test::Golden::load();
  const auto model = ossa::test::golden_dir("tiny-a").string();
  auto tokens = g.i32("seq2.tokens");
  auto want = g.f32("seq2.logits.fp32");
  auto r = run_ossa({"logits", "--model", model, "--tokens", join(tokens), "--weights-q8", "unembedding", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  float worst = 0;
  for (std::size_t v = 0; v < 1024; ++v)
    worst = std::max(worst, std::fabs(j["logits"][0][v].get<float>() - want[(tokens.size() - 1) * 1024 + v]));
  EXPECT_GT(worst, 1e-4f) << "the 8-bit unembedding changed nothing";
  EXPECT_LT(worst, 0.11f);

  auto bench = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"bench", "--model", model, "--prompt", "4", "--gen", "2", "--threads", "1",
                                  "--kv-memory", "64"};
    a.insert(a.end(), extra.begin(), extra.end());
    auto b = run_ossa(a);
    EXPECT_EQ(b.exit_code, 0) << b.err;
    return nlohmann::json::parse(b.out);
  };
  auto plain = bench({});
  auto q8 = bench({"--weights-q8", "attention,unembedding"});
  EXPECT_EQ(plain["weights_q8"], "none");
  EXPECT_FALSE(plain.contains("q8_path"));
  EXPECT_EQ(q8["weights_q8"], "attention,unembedding");
  EXPECT_TRUE(q8.contains("q8_path")) << q8.dump();
  EXPECT_GT(q8["q8_bytes"].get<double>(), 0.0);
  EXPECT_LT(q8["bytes_read_per_token"].get<double>(), plain["bytes_read_per_token"].get<double>());
}

TEST(EngineCli, SynthThenInfoThenLogits) {
  auto dir = std::filesystem::temp_directory_path() / ("ossa-synth-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto r = run_ossa({"model", "synth", "--preset", "tiny", "--out", dir.string(), "--seed", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_ossa({"model", "info", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["layout"].get<std::string>(), "original");
  EXPECT_EQ(j["config"]["hidden_size"].get<int>(), 64);
  r = run_ossa({"logits", "--model", dir.string(), "--tokens", "5,6,7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto logits = nlohmann::json::parse(r.out);  // named: a range-for over a temporary's member dangles
  ASSERT_EQ(logits["logits"][0].size(), 1024u);
  for (const auto& v : logits["logits"][0]) EXPECT_TRUE(std::isfinite(v.get<double>()));
  std::filesystem::remove_all(dir);
}

TEST(EngineCli, ErrorsAreMessagesNotCrashes) {
  auto r = run_ossa({"logits", "--model", "/nonexistent-model-dir", "--tokens", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nonexistent-model-dir"), std::string::npos) << r.err;
  r = run_ossa({"logits", "--model", ossa::test::golden_dir("tiny-a").string(), "--tokens", "1,x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_ossa({"logits", "--model", ossa::test::golden_dir("tiny-a").string(), "--tokens", "5000"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("vocabulary"), std::string::npos) << r.err;
  r = run_ossa({"model", "synth", "--preset", "7b", "--out", "/tmp/x"});
  EXPECT_EQ(r.exit_code, 2);
}

// Issue 17, item 10: `--threads 100000` started 32k threads and made fork fail host-wide. The
// engine caps threads at the usable cores (the affinity mask) and the command warns; past 4096
// the flag is refused before anything loads (issue 19's ranges).
TEST(EngineCli, ThreadsAreCappedAtTheUsableCores) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  const int cores = CPU_COUNT(&set);
  const std::string model = ossa::test::golden_dir("tiny-a").string();
  // 4096 is the most --threads takes (100000 is a usage error, below); above the cores, the
  // engine still caps.
  for (int asked : {cores + 3, 4096}) {
    auto r = run_ossa({"bench", "--model", model, "--prompt", "2", "--gen", "1", "--threads",
                       std::to_string(asked)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    // ASSERT: an uncapped engine must not go on to start thousands of threads.
    ASSERT_EQ(j["threads"].get<int>(), cores) << "asked for " << asked;
    EXPECT_NE(r.err.find("usable cores"), std::string::npos) << r.err;
  }
  auto big = run_ossa({"bench", "--model", model, "--prompt", "2", "--gen", "1", "--threads", "100000"});
  EXPECT_EQ(big.exit_code, 2) << big.err;
  EXPECT_NE(big.err.find("--threads"), std::string::npos) << big.err;
  auto r = run_ossa({"bench", "--model", model, "--prompt", "2", "--gen", "1", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["threads"].get<int>(), 1);
  EXPECT_EQ(r.err.find("usable cores"), std::string::npos) << r.err;
}
