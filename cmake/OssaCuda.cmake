# CUDA is optional. check_language tries nvcc without failing the configure when it is absent.
# CMake 3.25 only knows C++17 for CUDA (host code elsewhere stays C++20), and ignores
# CMAKE_CUDA_HOST_COMPILER once check_language ran: set CUDAHOSTCXX in the environment instead.
# 'native' architectures would fail on machines without a GPU, so the list is explicit.
set(OSSA_HAVE_CUDA OFF)
if(OSSA_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90a 100)
    endif()
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(OSSA_HAVE_CUDA ON)
    message(STATUS "ossa: CUDA backend enabled (${CMAKE_CUDA_COMPILER}, archs ${CMAKE_CUDA_ARCHITECTURES})")
  else()
    message(STATUS "ossa: nvcc not found, CUDA backend skipped")
  endif()
endif()
