// --device values (engine/device.hpp), and what loading on a device that cannot run the model
// says: here there is no GPU, so CUDA must fail with the reason and auto must fall back.
#include <gtest/gtest.h>

#include <string>

#include "engine/device.hpp"
#include "engine/model.hpp"
#include "tests/engine/golden_data.hpp"

using ossa::engine::Device;
using ossa::engine::parse_device;

TEST(Device, ParsesEveryFormAndRejectsTheRest) {
  EXPECT_EQ(parse_device("auto").kind, Device::Kind::automatic);
  EXPECT_EQ(parse_device("cpu").kind, Device::Kind::cpu);
  EXPECT_EQ(parse_device("cuda").kind, Device::Kind::cuda);
  EXPECT_EQ(parse_device("cuda").index, 0);
  EXPECT_EQ(parse_device("cuda:3").index, 3);
  EXPECT_EQ(ossa::engine::device_string(parse_device("cuda:3")), "cuda:3");
  for (const char* bad : {"", "gpu", "cuda:", "cuda:-1", "cuda:1x", "cuda:99999", "CPU"}) {
    EXPECT_THROW(parse_device(bad), std::invalid_argument) << bad;
  }
}

// A CUDA device index no machine has: the load fails with one DeviceError naming the reason
// (in a build without CUDA: that it was built without it), and auto falls back to the CPU,
// saying why.
TEST(Device, CudaWithoutAUsableDeviceIsADeviceErrorAndAutoFallsBack) {
  ossa::engine::LoadOptions o;
  o.threads = 1;
  o.device = parse_device("cuda:1000");
  try {
    ossa::engine::Model::load(ossa::test::golden_dir("tiny-a"), o);
    ADD_FAILURE() << "loaded on cuda:1000";
  } catch (const ossa::engine::DeviceError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(what.find("no CUDA device") != std::string::npos ||
                what.find("this ossa was built without CUDA") != std::string::npos)
        << what;
  }
  o.device = parse_device("auto");
  auto m = ossa::engine::Model::load(ossa::test::golden_dir("tiny-a"), o);
  if (std::string(m->backend_name()) == "cuda") GTEST_SKIP() << "a CUDA device is present: " << m->device_note();
  EXPECT_EQ(std::string(m->backend_name()), "cpu");
  EXPECT_EQ(m->device_note().rfind("cpu (auto: ", 0), 0u) << m->device_note();
}
