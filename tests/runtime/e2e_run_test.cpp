// `ossa run` end to end on the real engine: a tiny synthetic checkpoint with harmony's full
// vocabulary (random weights, so the model writes noise), real tools, real transcript. What is
// checked is what must hold whatever the model writes: the run ends within its limits, cleanly,
// and leaves a complete transcript that --resume can continue.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/synth.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/transcript.hpp"
#include "tests/cli/subprocess.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class E2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("ossa_e2e_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "ws");
    // An empty configuration file: tests must not depend on the user's ~/.config/ossa.
    { std::ofstream(root_ / "none.toml") << ""; }
    auto cfg = ossa::engine::preset_config("tiny-harmony");
    ASSERT_EQ(cfg.vocab_size, static_cast<int>(ossa::harmony::tokens::kModelVocabSize));
    ossa::engine::write_synthetic_checkpoint(cfg, root_ / "model", 7);
  }
  // OSSA_E2E_KEEP=1 keeps the checkpoint and transcripts for a look by hand.
  static void TearDownTestSuite() {
    if (!std::getenv("OSSA_E2E_KEEP")) fs::remove_all(root_);
  }

  static std::vector<std::string> base_args() {
    return {"run",        "--model",      (root_ / "model").string(),
            "--workspace", (root_ / "ws").string(),
            "--config",   (root_ / "none.toml").string(),
            "--approve",  "none",
            "--max-tokens", "96",
            "--wall-time", "120",
            "--temperature", "1",
            "--seed",     "11",
            "--json"};
  }
  static fs::path root_;
};
fs::path E2E::root_;

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) v.push_back(json::parse(line));
  return v;
}

}  // namespace

TEST_F(E2E, RunTerminatesWithinLimitsAndLeavesACompleteTranscript) {
  // An empty config file: defaults only, whatever the machine's ~/.config holds.
  { std::ofstream(root_ / "none.toml") << ""; }
  const fs::path transcript = root_ / "t1.jsonl";
  auto args = base_args();
  args.insert(args.end(), {"--transcript", transcript.string(), "Say hello."});
  auto r = ossa::test::run_ossa(args);
  // Noise from random weights never yields a final answer: a limit or the broken-output guard
  // ends the turn (exit 1), never a crash.
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << "\n" << r.err;
  auto events = json_lines(r.out);
  ASSERT_FALSE(events.empty()) << r.err;
  EXPECT_EQ(events.front()["type"], "session");
  const json& end = events.back();
  ASSERT_EQ(end["type"], "turn_end") << end;
  EXPECT_LE(end["generated_tokens"].get<int>(), 96);

  auto c = ossa::runtime::read_transcript(transcript.string());
  EXPECT_FALSE(c.torn_tail);
  ASSERT_GE(c.events.size(), 4u);
  EXPECT_EQ(c.events.front()["type"], "session_start");
  EXPECT_EQ(c.events.back()["type"], "turn_end");
  EXPECT_EQ(c.events.back()["reason"], end["reason"]);
  int rounds = 0, generated = 0;
  for (const auto& e : c.events)
    if (e["type"] == "round") {
      ++rounds;
      generated += e["generated_tokens"].get<int>();
      EXPECT_GT(e["prompt_tokens"].get<int>(), 0);
    }
  EXPECT_GE(rounds, 1);
  EXPECT_EQ(generated, end["generated_tokens"].get<int>());
  auto msgs = ossa::runtime::transcript_messages(c);
  ASSERT_GE(msgs.size(), 2u);
  EXPECT_EQ(msgs[0]["role"], "system");
  bool user_found = false;
  for (const auto& m : msgs) user_found |= m["role"] == "user";
  EXPECT_TRUE(user_found);

  // --resume continues the same file with a new turn.
  auto args2 = base_args();
  args2.insert(args2.end(), {"--resume", transcript.string(), "And now?"});
  auto r2 = ossa::test::run_ossa(args2);
  EXPECT_TRUE(r2.exit_code == 0 || r2.exit_code == 1) << r2.err;
  auto c2 = ossa::runtime::read_transcript(transcript.string());
  EXPECT_GT(c2.events.size(), c.events.size());
  int turns = 0;
  for (const auto& e : c2.events) turns += e["type"] == "turn_end";
  EXPECT_EQ(turns, 2);
}

TEST_F(E2E, UsageErrors) {
  auto r = ossa::test::run_ossa({"run", "--config", (root_ / "none.toml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // No model configured, no $OSSA_MODEL, and no demo model next to the binary (a copy of it
  // elsewhere): a usage error that says how to name one.
  fs::create_directories(root_ / "bin");
  fs::copy_file(OSSA_BINARY, root_ / "bin" / "ossa", fs::copy_options::overwrite_existing);
  ::unsetenv("OSSA_MODEL");
  r = ossa::test::run_process({(root_ / "bin" / "ossa").string(), "run", "--config",
                               (root_ / "none.toml").string(), "hi"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("OSSA_MODEL"), std::string::npos) << r.err;
}

TEST_F(E2E, WithoutAModelFallsBackOnOssaModelThenOnTheDemoModelFolder) {
  // A copy of the binary in a folder of its own, so that what sits next to it is up to the test.
  const fs::path bin = root_ / "fallback";
  fs::create_directories(bin);
  fs::copy_file(OSSA_BINARY, bin / "ossa", fs::copy_options::overwrite_existing);
  auto run = [&](const fs::path& transcript) {
    return ossa::test::run_process({(bin / "ossa").string(), "run", "--config",
                                    (root_ / "none.toml").string(), "--workspace",
                                    (root_ / "ws").string(), "--max-tokens", "4", "--transcript",
                                    transcript.string(), "hi"});
  };
  auto start_config = [](const fs::path& transcript) {
    auto c = ossa::runtime::read_transcript(transcript.string());
    EXPECT_FALSE(c.events.empty());
    return c.events.empty() ? json() : json::parse(c.events.front()["config"].dump());
  };

  ::setenv("OSSA_MODEL", (root_ / "model").string().c_str(), 1);
  auto r = run(root_ / "env.jsonl");
  ::unsetenv("OSSA_MODEL");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  json cfg = start_config(root_ / "env.jsonl");
  EXPECT_EQ(cfg["model"], (root_ / "model").string());
  EXPECT_EQ(cfg["tools"]["enabled"], json({"python", "browser"}));  // the usual defaults
  EXPECT_EQ(r.err.find("demo model"), std::string::npos) << r.err;

  // demo-model/ next to the binary (here the synthetic checkpoint stands in for it).
  fs::create_directory_symlink(root_ / "model", bin / "demo-model");
  r = run(root_ / "demo.jsonl");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  EXPECT_NE(r.err.find("using the demo model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("OSSA_MODEL"), std::string::npos) << r.err;
  cfg = start_config(root_ / "demo.jsonl");
  EXPECT_EQ(cfg["model"], (bin / "demo-model").string());
  EXPECT_EQ(cfg["tools"]["enabled"], json({"python"}));  // what the demo model knows
  EXPECT_EQ(cfg["temperature"], 0.0);

  // An explicit model wins over both.
  r = ossa::test::run_process({(bin / "ossa").string(), "run", "--config",
                               (root_ / "none.toml").string(), "--model",
                               (root_ / "model").string(), "--workspace", (root_ / "ws").string(),
                               "--max-tokens", "4", "--transcript",
                               (root_ / "explicit.jsonl").string(), "hi"});
  EXPECT_EQ(r.err.find("demo model"), std::string::npos) << r.err;
  EXPECT_EQ(start_config(root_ / "explicit.jsonl")["temperature"], 1.0);
}

TEST_F(E2E, ChatRunsTurnsAndSlashCommands) {
  auto r = ossa::test::run_ossa({"chat", "--model", (root_ / "model").string(), "--config",
                                 (root_ / "none.toml").string(), "--workspace",
                                 (root_ / "ws").string(), "--max-tokens", "16",
                                 "--transcript-dir", (root_ / "chat").string(), "--seed", "3"},
                                "hello\n/session\n/nonsense\n/new\n/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped: max_tokens"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("transcript " + (root_ / "chat").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown command /nonsense"), std::string::npos) << r.err;
  // One transcript for the first conversation, one for the one /new started.
  int files = 0;
  for (const auto& e : fs::directory_iterator(root_ / "chat")) files += e.path().extension() == ".jsonl";
  EXPECT_EQ(files, 2);
}
