#pragma once
// Declares one kernel in the dispatching namespace and in each per-ISA namespace (scalar::,
// avx2::, avx512::), so tests and benchmarks can compare the versions. Call an avx2/avx512
// function only when detected_isa() allows it. Used by each op's header.
#define OSSA_KERNEL_VARIANTS(decl) \
  decl;                            \
  namespace scalar {               \
  decl;                            \
  }                                \
  namespace avx2 {                 \
  decl;                            \
  }                                \
  namespace avx512 {               \
  decl;                            \
  }

// The dispatcher's body: the active ISA's version (isa.hpp).
#define OSSA_KERNEL_DISPATCH(fn, ...)                         \
  switch (::ossa::kernels::active_isa()) {                    \
    case ::ossa::kernels::Isa::avx512: return avx512::fn(__VA_ARGS__); \
    case ::ossa::kernels::Isa::avx2: return avx2::fn(__VA_ARGS__);     \
    case ::ossa::kernels::Isa::scalar: break;                 \
  }                                                           \
  return scalar::fn(__VA_ARGS__)
