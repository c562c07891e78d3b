#pragma once
// What the CUDA op tests share: the skip when no device is usable, and copies to and from the
// device.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/cuda/device.cuh"
#include "kernels/cuda/device_buffer.hpp"

namespace ossa::test {

// Skips the test with one line ("no CUDA device: <the runtime's reason>") unless device 0 is
// present and runs this build's kernels.
class CudaOps : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string problem = kernels::cuda::device_problem(0);
    if (!problem.empty()) GTEST_SKIP() << problem;
  }
};

template <class T>
kernels::cuda::DeviceBuffer<T> to_device(const std::vector<T>& v) {
  kernels::cuda::DeviceBuffer<T> b(v.empty() ? 1 : v.size());
  if (!v.empty()) b.upload(v.data(), v.size());
  return b;
}

template <class T>
std::vector<T> to_host(const kernels::cuda::DeviceBuffer<T>& b, std::size_t n) {
  kernels::cuda::check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  std::vector<T> v(n);
  b.download(v.data(), n);
  return v;
}

}  // namespace ossa::test
