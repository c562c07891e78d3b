#pragma once
// Access to the tiny-a golden data (tests/data/golden): golden.bin is a safetensors container,
// read with the engine's own reader; golden.json gives the greedy continuation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "engine/model.hpp"
#include "engine/safetensors.hpp"

namespace ossa::test {

inline std::filesystem::path golden_dir(const char* name) {
  return std::filesystem::path(OSSA_TEST_DATA_DIR) / "golden" / name;
}

// The device the golden, batched and scheduler suites load their models on:
// $OSSA_TEST_DEVICE (auto, cpu, cuda, cuda:N; scripts/gpu_check.sh sets cuda), else the CPU.
inline std::string test_device() {
  const char* e = std::getenv("OSSA_TEST_DEVICE");
  return e && *e ? e : "cpu";
}

inline engine::LoadOptions load_options(unsigned threads, std::uint64_t kv_memory_bytes = 0) {
  engine::LoadOptions o;
  o.threads = threads;
  o.kv_memory_bytes = kv_memory_bytes;
  o.device = engine::parse_device(test_device());
  return o;
}

// A reproducible token sequence (LCG) within the tiny checkpoints' vocabulary, for the engine
// suites that need prompts other than the golden ones.
inline std::vector<std::int32_t> pseudo_tokens(std::size_t n, std::uint32_t seed) {
  std::vector<std::int32_t> v(n);
  for (auto& t : v) {
    seed = seed * 1664525u + 1013904223u;
    t = static_cast<std::int32_t>((seed >> 8) % 1024);
  }
  return v;
}

struct Golden {
  engine::SafetensorsFile bin;
  std::vector<std::int32_t> greedy_prompt;
  std::vector<std::int32_t> greedy_fp32;
  std::vector<float> greedy_fp32_margin;  // top-1 minus top-2 logit at each greedy step

  static Golden load();
  // float32 tensor as a flat vector (fails the test if absent).
  std::vector<float> f32(const std::string& name) const;
  std::vector<std::int32_t> i32(const std::string& name) const;
  std::vector<std::int64_t> shape(const std::string& name) const;
};

// The golden data, loaded once per test program.
const Golden& golden();

// Largest |a[i] - b[i]|, infinity where a holds a NaN; a size mismatch fails the test.
float max_abs_diff(std::span<const float> a, std::span<const float> b);

}  // namespace ossa::test
