#pragma once
// Where a model runs (LoadOptions::device, the engine commands' --device): the CPU, a CUDA
// device, or `auto` (CUDA when this build has it and a device with enough memory exists, else
// the CPU; the loaded Model says which and why, Model::device_note).
#include <stdexcept>
#include <string>
#include <string_view>

namespace ossa::engine {

struct Device {
  enum class Kind { automatic, cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;  // the CUDA device, for Kind::cuda
};

// "auto", "cpu", "cuda" (device 0) or "cuda:N"; throws std::invalid_argument naming the forms.
Device parse_device(std::string_view text);
std::string device_string(const Device& d);

// Whether this build has the CUDA backend (nvcc was found when it was configured).
bool built_with_cuda();

// The chosen device cannot run the model: no driver or device, an architecture this build has
// no code for, too little device memory (what() says how much is needed and how much is free).
struct DeviceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace ossa::engine
