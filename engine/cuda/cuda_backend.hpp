#pragma once
// The CUDA backend (built only where nvcc was found): the weights uploaded once to device memory
// (MXFP4 experts kept packed, bf16 as stored), KV blocks in device memory, and a step that runs
// engine/forward.cpp's op sequence with the kernels of kernels/cuda/ on one stream.
#include <cstdint>
#include <memory>

#include "engine/backend.hpp"
#include "engine/config.hpp"
#include "engine/weights.hpp"

namespace ossa::engine {

// Throws DeviceError (device.hpp) when device `index` is missing or its architecture is not in
// this build, when the weights are in a CPU-only format (--weights-q8), or when its free memory
// cannot hold the weights, a step's scratch and `kv_bytes` of KV cache (at least a minimal
// cache when kv_bytes is 0); the message gives the MiB needed and free.
std::unique_ptr<Backend> make_cuda_backend(const ModelConfig& config, const ModelWeights& weights, int index,
                                           std::uint64_t kv_bytes);

}  // namespace ossa::engine
