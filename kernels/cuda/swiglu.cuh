#pragma once
// Clamped SwiGLU on the device; the same op as kernels/cpu/swiglu.hpp (interleaved halves).
#include <cuda_runtime_api.h>

#include <cstddef>

namespace ossa::kernels::cuda {
void swiglu(const float* h, std::size_t T, std::size_t I, float alpha, float limit, float* out, cudaStream_t stream);
}  // namespace ossa::kernels::cuda
