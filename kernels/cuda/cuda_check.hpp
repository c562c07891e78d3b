#pragma once
// Error handling for the CUDA ops (host code; plain C++, so .cpp files may include it): every
// runtime call and every launch is checked, and a failure becomes a CudaError naming what failed.
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace ossa::kernels::cuda {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw CudaError(std::string(what) + ": " + cudaGetErrorString(e));
}

// After a launch: a bad configuration shows up here, a fault in the kernel at the next sync.
inline void check_launch(const char* what) { check(cudaGetLastError(), what); }

}  // namespace ossa::kernels::cuda
