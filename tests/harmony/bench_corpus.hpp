#pragma once
// The text the tokenizer benchmarks encode, built from the test data so that the npm tiktoken
// comparison (tests/harmony/tiktoken_compare.js) can rebuild the identical string: every upstream
// harmony fixture (system prompts, tool namespaces, chat) in name order, then every o200k_base
// vector text of tokenizer/vectors.json (code, JSON, many scripts, emoji), joined by "\n",
// repeated `copies` times.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/harmony/vectors.hpp"

namespace ossa::test {

inline std::string bench_corpus(int copies = 4) {
  const std::string dir = std::string(OSSA_TEST_DATA_DIR) + "/harmony/upstream-test-data";
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".txt") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::vector<std::string> parts;
  for (const auto& n : names) parts.push_back(read_file(dir + "/" + n));
  const auto vectors = load_json("tokenizer/vectors.json");
  for (const auto& v : vectors["vectors"])
    if (v["encoding"] == "o200k_base") parts.push_back(v["text"].get<std::string>());
  std::string one;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) one += '\n';
    one += parts[i];
  }
  std::string out;
  for (int i = 0; i < copies; ++i) {
    if (i) out += '\n';
    out += one;
  }
  return out;
}

}  // namespace ossa::test
