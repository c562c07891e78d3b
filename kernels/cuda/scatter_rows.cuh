#pragma once
// Writes T rows of `row` floats to T separate destinations: dst[t] is a device pointer (the
// slot of row t's position in its KV block). The engine stores new keys and values with it.
#include <cuda_runtime_api.h>

#include <cstddef>

namespace ossa::kernels::cuda {
void scatter_rows(const float* src, std::size_t T, std::size_t row, float* const* dst, cudaStream_t stream);
}  // namespace ossa::kernels::cuda
