# Use ccache when it is installed: repeated builds of the same tree (both presets, CI reruns)
# then only pay for what changed.
find_program(OSSA_CCACHE ccache)
if(OSSA_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER ${OSSA_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${OSSA_CCACHE})
  set(CMAKE_CUDA_COMPILER_LAUNCHER ${OSSA_CCACHE})
endif()
