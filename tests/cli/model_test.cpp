// Issue 19: $OSSA_MODEL is the default of every command that takes --model, and `ossa model
// list` shows the checkpoints found in the usual places.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/synth.hpp"
#include "tests/cli/subprocess.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Sets an environment variable for the children of this test; restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class ModelDefaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("ossa_cli_models_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "bin");
    ossa::engine::write_synthetic_checkpoint(ossa::engine::preset_config("tiny"), root_ / "tiny", 3);
    // A copy of the binary with nothing next to it: no demo model to fall back on.
    fs::copy_file(OSSA_BINARY, root_ / "bin" / "ossa");
    std::ofstream(root_ / "empty.toml") << "";
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static ossa::test::ProcessResult ossa(std::vector<std::string> args) {
    args.insert(args.begin(), (root_ / "bin" / "ossa").string());
    return ossa::test::run_process(args);
  }
  static fs::path root_;
};
fs::path ModelDefaults::root_;

const std::vector<std::vector<std::string>> kModelCommands = {
    {"model", "info"},
    {"logits", "--tokens", "1,2,3"},
    {"generate", "--tokens", "1,2,3", "-n", "2"},
    {"bench", "--prompt", "4", "--gen", "2"},
};

}  // namespace

TEST_F(ModelDefaults, OssaModelIsTheDefaultOfEveryCommandThatTakesModel) {
  ScopedEnv env("OSSA_MODEL", (root_ / "tiny").string());
  for (const auto& args : kModelCommands) {
    SCOPED_TRACE(args[0]);
    auto r = ossa(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(json::accept(r.out)) << r.out;
  }
  auto r = ossa({"model", "info"});
  EXPECT_EQ(json::parse(r.out)["dir"], (root_ / "tiny").string());
}

TEST_F(ModelDefaults, WithoutAModelEveryCommandSaysHowToGiveOne) {
  ::unsetenv("OSSA_MODEL");
  for (const auto& args : kModelCommands) {
    SCOPED_TRACE(args[0]);
    auto r = ossa(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("no model: pass --model DIR or set OSSA_MODEL to a checkpoint folder "
                         "(`ossa model list` shows the ones found)"),
              std::string::npos)
        << r.err;
  }
  auto r = ossa({"serve", "--config", (root_ / "empty.toml").string(), "--port", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("set OSSA_MODEL"), std::string::npos) << r.err;
}

TEST_F(ModelDefaults, ModelListShowsTheUsualPlacesWithSizeAndLayout) {
  const fs::path cache = root_ / "cache", hub = root_ / "hub";
  ossa::engine::write_synthetic_checkpoint(ossa::engine::preset_config("tiny"),
                                           cache / "ossa" / "models" / "mine", 4);
  const fs::path snapshot = hub / "models--openai--gpt-oss-tiny" / "snapshots" / "abc123";
  ossa::engine::write_synthetic_checkpoint(ossa::engine::preset_config("tiny"),
                                           snapshot / "original", 5);
  fs::create_directories(cache / "ossa" / "models" / "broken");
  std::ofstream(cache / "ossa" / "models" / "broken" / "config.json") << "{}";
  fs::create_directories(cache / "ossa" / "models" / "not-a-model");
  std::ofstream(root_ / "cfg.toml") << "model = \"" << (root_ / "configured").string() << "\"\n";

  ScopedEnv e1("OSSA_MODEL", (root_ / "tiny").string());
  ScopedEnv e2("XDG_CACHE_HOME", cache.string());
  ScopedEnv e3("HF_HUB_CACHE", hub.string());
  auto r = ossa({"model", "list", "--config", (root_ / "cfg.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json models = json::parse(r.out)["models"];
  ASSERT_EQ(models.size(), 5u) << models.dump(2);
  // The configured folder does not exist: listed with its error, first.
  EXPECT_EQ(models[0]["source"], "config");
  EXPECT_EQ(models[0]["path"], (root_ / "configured").string());
  EXPECT_TRUE(models[0].contains("error"));
  EXPECT_EQ(models[1]["source"], "OSSA_MODEL");
  EXPECT_EQ(models[1]["path"], (root_ / "tiny").string());
  EXPECT_EQ(models[1]["layout"], "original");
  EXPECT_GT(models[1]["bytes"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(models[2]["source"], "cache");
  EXPECT_EQ(models[2]["path"], (cache / "ossa" / "models" / "broken").string());
  EXPECT_NE(models[2]["error"].get<std::string>().find("config.json"), std::string::npos);
  EXPECT_EQ(models[3]["path"], (cache / "ossa" / "models" / "mine").string());
  EXPECT_EQ(models[3]["layers"], models[1]["layers"]);
  EXPECT_EQ(models[4]["source"], "huggingface");
  EXPECT_EQ(models[4]["path"], (snapshot / "original").string());
  EXPECT_EQ(models[4]["layout"], "original");
}
