#include "tests/engine/golden_data.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ossa::test {

Golden Golden::load() {
  auto dir = golden_dir("tiny-a");
  Golden g{engine::SafetensorsFile::open(dir / "golden.bin"), {}, {}, {}};
  std::ifstream in(dir / "golden.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str());
  g.greedy_prompt = j["greedy"]["prompt"].get<std::vector<std::int32_t>>();
  g.greedy_fp32 = j["greedy"]["fp32"]["tokens"].get<std::vector<std::int32_t>>();
  g.greedy_fp32_margin = j["greedy"]["fp32"]["top1_minus_top2"].get<std::vector<float>>();
  return g;
}

std::vector<float> Golden::f32(const std::string& name) const {
  const auto* t = bin.find(name);
  EXPECT_NE(t, nullptr) << name;
  if (!t || t->dtype != engine::DType::f32) return {};
  std::vector<float> v(t->nbytes / 4);
  std::memcpy(v.data(), t->data, t->nbytes);
  return v;
}

std::vector<std::int32_t> Golden::i32(const std::string& name) const {
  const auto* t = bin.find(name);
  EXPECT_NE(t, nullptr) << name;
  if (!t || t->dtype != engine::DType::i32) return {};
  std::vector<std::int32_t> v(t->nbytes / 4);
  std::memcpy(v.data(), t->data, t->nbytes);
  return v;
}

std::vector<std::int64_t> Golden::shape(const std::string& name) const {
  const auto* t = bin.find(name);
  return t ? t->shape : std::vector<std::int64_t>{};
}

const Golden& golden() {
  static const Golden g = Golden::load();
  return g;
}

float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0.0f;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (std::isnan(a[i])) return INFINITY;
    m = std::max(m, std::fabs(a[i] - b[i]));
  }
  return m;
}

}  // namespace ossa::test
