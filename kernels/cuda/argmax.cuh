#pragma once
// Greedy sampling on the device: out[r] = the index of the largest of row r's V logits (the
// lowest index on a tie, like engine/sampler.cpp's argmax), so a decode step can return one
// int per sequence instead of V floats.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace ossa::kernels::cuda {
void argmax(const float* logits, std::size_t rows, std::size_t V, std::int32_t* out, cudaStream_t stream);
}  // namespace ossa::kernels::cuda
