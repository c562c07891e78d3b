#pragma once
// Which devices this build can run on (host code).
#include <string>

namespace ossa::kernels::cuda {
// Empty when device `index` exists and this build's kernels load on it; else why not, in one
// line ("no CUDA device: ...", "unsupported architecture sm_75: ...").
std::string device_problem(int index);
}  // namespace ossa::kernels::cuda
