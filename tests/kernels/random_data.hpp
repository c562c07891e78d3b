#pragma once
// Test inputs and comparisons shared by the suites that check a kernel against its reference
// (tests/kernels: SIMD against scalar; tests/cuda: CUDA against the CPU's scalar op).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace ossa::test {

// n normal floats with standard deviation `scale`.
inline std::vector<float> randn(std::size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Each got[i] within tol of want[i], relative where |want[i]| > 1.
inline void expect_near(const std::vector<float>& got, const std::vector<float>& want, float tol,
                        const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol * std::max(1.0f, std::fabs(want[i]))) << what << " at " << i;
  }
}

}  // namespace ossa::test
