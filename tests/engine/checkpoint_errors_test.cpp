// Malformed checkpoints: each must fail Model::load with one CheckpointError that names the
// offending tensor (where there is one) and file, never crash or load garbage.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/model.hpp"
#include "tests/engine/golden_data.hpp"

namespace fs = std::filesystem;
using ossa::engine::CheckpointError;
using ossa::engine::Model;

namespace {
std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void write_file(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

class BrokenCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ossa-broken-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void copy_from(const char* golden) {
    for (const auto& e : fs::directory_iterator(ossa::test::golden_dir(golden))) {
      if (e.path().extension() == ".safetensors" || e.path().extension() == ".json") {
        if (e.path().filename() == "golden.json") continue;
        fs::copy_file(e.path(), dir_ / e.path().filename());
        fs::permissions(dir_ / e.path().filename(), fs::perms::owner_write, fs::perm_options::add);
      }
    }
  }

  // Rewrites a safetensors header (the data stays as it is).
  void edit_header(const std::string& file, const std::function<void(nlohmann::json&)>& edit) {
    std::string all = read_file(dir_ / file);
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(all[static_cast<std::size_t>(i)]);
    auto header = nlohmann::json::parse(all.substr(8, n));
    edit(header);
    std::string h = header.dump();
    std::string len(8, '\0');
    for (int i = 0; i < 8; ++i) len[static_cast<std::size_t>(i)] = static_cast<char>((h.size() >> (8 * i)) & 0xff);
    write_file(dir_ / file, len + h + all.substr(8 + n));
  }

  // The load error's message (fails the test if loading succeeds).
  std::string load_error() {
    try {
      Model::load(dir_, {1});
    } catch (const CheckpointError& e) {
      return e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a CheckpointError: " << e.what();
      return e.what();
    }
    ADD_FAILURE() << "loaded a broken checkpoint";
    return {};
  }

  fs::path dir_;
};

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_F(BrokenCheckpoint, IntactCopyLoads) {
  copy_from("tiny-a");
  EXPECT_NO_THROW(Model::load(dir_, {1}));
}

TEST_F(BrokenCheckpoint, TruncatedFile) {
  copy_from("tiny-a");
  fs::resize_file(dir_ / "model.safetensors", fs::file_size(dir_ / "model.safetensors") / 2);
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "model.safetensors")) << msg;
  EXPECT_TRUE(has(msg, "truncated")) << msg;
  EXPECT_TRUE(has(msg, "tensor '")) << msg;
}

TEST_F(BrokenCheckpoint, FileShorterThanItsHeaderLength) {
  copy_from("tiny-a");
  fs::resize_file(dir_ / "model.safetensors", 100);
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "model.safetensors") && has(msg, "header length")) << msg;
  fs::resize_file(dir_ / "model.safetensors", 3);
  msg = load_error();
  EXPECT_TRUE(has(msg, "truncated")) << msg;
}

TEST_F(BrokenCheckpoint, WrongShape) {
  copy_from("tiny-a");
  edit_header("model.safetensors", [](nlohmann::json& h) { h["block.2.attn.qkv.weight"]["shape"] = {64, 192}; });
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "block.2.attn.qkv.weight") && has(msg, "model.safetensors")) << msg;
  EXPECT_TRUE(has(msg, "[64, 192]") && has(msg, "[192, 64]")) << msg;
}

TEST_F(BrokenCheckpoint, ShapeDisagreeingWithDataSize) {
  copy_from("tiny-a");
  edit_header("model.safetensors", [](nlohmann::json& h) { h["norm.scale"]["shape"] = {65}; });
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "norm.scale") && has(msg, "model.safetensors")) << msg;
}

TEST_F(BrokenCheckpoint, MissingTensor) {
  copy_from("tiny-a");
  edit_header("model.safetensors", [](nlohmann::json& h) { h.erase("block.3.mlp.mlp2_weight.scales"); });
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "missing tensor 'block.3.mlp.mlp2_weight.scales'")) << msg;
  EXPECT_TRUE(has(msg, "model.safetensors")) << msg;
}

TEST_F(BrokenCheckpoint, WrongDtype) {
  copy_from("tiny-a");
  edit_header("model.safetensors", [](nlohmann::json& h) { h["block.1.attn.sinks"]["dtype"] = "F16"; });
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "block.1.attn.sinks") && has(msg, "F16") && has(msg, "BF16")) << msg;
}

TEST_F(BrokenCheckpoint, BadHeaderJson) {
  copy_from("tiny-a");
  std::string all = read_file(dir_ / "model.safetensors");
  all[9] = '#';
  write_file(dir_ / "model.safetensors", all);
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "model.safetensors") && has(msg, "JSON")) << msg;
}

TEST_F(BrokenCheckpoint, BadConfigJson) {
  copy_from("tiny-a");
  write_file(dir_ / "config.json", "{\"num_hidden_layers\": 4,");
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "config.json") && has(msg, "JSON")) << msg;
}

TEST_F(BrokenCheckpoint, ConfigMissingKeyOrWrongType) {
  copy_from("tiny-a");
  auto cfg = nlohmann::json::parse(read_file(dir_ / "config.json"));
  cfg.erase("head_dim");
  write_file(dir_ / "config.json", cfg.dump());
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "config.json") && has(msg, "head_dim")) << msg;
  cfg["head_dim"] = "sixteen";
  write_file(dir_ / "config.json", cfg.dump());
  msg = load_error();
  EXPECT_TRUE(has(msg, "head_dim")) << msg;
}

TEST_F(BrokenCheckpoint, UnknownLayout) {
  copy_from("tiny-a");
  write_file(dir_ / "config.json", "{\"model_type\": \"llama\"}");
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "unknown checkpoint layout")) << msg;
}

TEST_F(BrokenCheckpoint, MissingConfigAndEmptyFolder) {
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "config.json")) << msg;
}

TEST_F(BrokenCheckpoint, ConfigDisagreeingWithWeights) {
  copy_from("tiny-a");
  auto cfg = nlohmann::json::parse(read_file(dir_ / "config.json"));
  cfg["num_hidden_layers"] = 5;
  write_file(dir_ / "config.json", cfg.dump());
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "missing tensor 'block.4.")) << msg;
}

TEST_F(BrokenCheckpoint, HuggingFaceMissingShard) {
  copy_from("tiny-a-hf");
  fs::remove(dir_ / "model-00001-of-00001.safetensors");
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "model-00001-of-00001.safetensors")) << msg;
}

TEST_F(BrokenCheckpoint, HuggingFaceIndexPointsAtWrongShard) {
  copy_from("tiny-a-hf");
  auto idx = nlohmann::json::parse(read_file(dir_ / "model.safetensors.index.json"));
  idx["weight_map"]["lm_head.weight"] = "model-00000-of-00001.safetensors";
  write_file(dir_ / "model.safetensors.index.json", idx.dump());
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "lm_head.weight") && has(msg, "model.safetensors.index.json")) << msg;
}

TEST_F(BrokenCheckpoint, HuggingFaceMissingTensorInShard) {
  copy_from("tiny-a-hf");
  edit_header("model-00000-of-00001.safetensors",
              [](nlohmann::json& h) { h.erase("model.layers.0.self_attn.k_proj.weight"); });
  auto idx = nlohmann::json::parse(read_file(dir_ / "model.safetensors.index.json"));
  idx["weight_map"].erase("model.layers.0.self_attn.k_proj.weight");
  write_file(dir_ / "model.safetensors.index.json", idx.dump());
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "model.layers.0.self_attn.k_proj.weight")) << msg;
}

TEST_F(BrokenCheckpoint, HuggingFaceBadIndexJson) {
  copy_from("tiny-a-hf");
  write_file(dir_ / "model.safetensors.index.json", "[1, 2");
  auto msg = load_error();
  EXPECT_TRUE(has(msg, "model.safetensors.index.json")) << msg;
}
