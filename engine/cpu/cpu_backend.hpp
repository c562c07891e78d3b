#pragma once
// The CPU backend: the weights it streams copied onto huge pages at load (resident_weights.hpp;
// the rest used in place in the mapped checkpoint), KV blocks in host memory, a fixed thread
// pool; its step is engine/forward.cpp.
#include <memory>

#include "engine/backend.hpp"
#include "engine/checkpoint.hpp"
#include "engine/weights.hpp"

namespace ossa::engine {

std::unique_ptr<Backend> make_cpu_backend(const Checkpoint& checkpoint, const ModelConfig& config,
                                          const ModelWeights& weights, unsigned threads, bool map_weights);

}  // namespace ossa::engine
