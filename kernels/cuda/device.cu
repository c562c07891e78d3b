// The probe asks the runtime for a kernel's attributes: that fails with "no kernel image" when
// the build has no code for the device's architecture, before any real work is queued.
#include <cuda_runtime_api.h>

#include "kernels/cuda/device.cuh"

namespace ossa::kernels::cuda {
namespace {
__global__ void probe_kernel() {}
}  // namespace

std::string device_problem(int index) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return std::string("no CUDA device: ") + cudaGetErrorString(e);
  if (count == 0) return "no CUDA device: the driver reports none";
  if (index < 0 || index >= count)
    return "no CUDA device " + std::to_string(index) + ": the driver reports " + std::to_string(count);
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, index) != cudaSuccess) return "cannot query CUDA device " + std::to_string(index);
  if (cudaSetDevice(index) != cudaSuccess) return "cannot use CUDA device " + std::to_string(index);
  cudaFuncAttributes attr{};
  const cudaError_t img = cudaFuncGetAttributes(&attr, probe_kernel);
  if (img != cudaSuccess) {
    return "unsupported architecture sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + " (" +
           prop.name + "): this ossa's CUDA code is built for " OSSA_CUDA_ARCHS " (" + cudaGetErrorString(img) + ")";
  }
  return {};
}
}  // namespace ossa::kernels::cuda
