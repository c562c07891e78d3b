#pragma once
// Which instruction set the CPU kernels use. Detected once at run time (__builtin_cpu_supports)
// so one release binary runs on any x86-64; tests and benchmarks may force a lower level to
// compare the scalar reference with the SIMD versions.
namespace ossa::kernels {

enum class Isa { scalar = 0, avx2 = 1, avx512 = 2 };

// Best level this CPU supports (avx2 needs AVX2+FMA+F16C; avx512 needs AVX-512 F+BW+VL).
Isa detected_isa();
// Level the dispatching kernels use now: detected_isa() unless lowered by set_isa().
Isa active_isa();
// Forces a level; a level above detected_isa() is clamped to it. Not for concurrent use with
// running kernels (tests and benchmarks call it between runs).
void set_isa(Isa isa);
// "scalar", "avx2" or "avx512".
const char* isa_name(Isa isa);

}  // namespace ossa::kernels
