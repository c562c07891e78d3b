include(GoogleTest)
find_package(GTest REQUIRED)

# ossa_add_gtest(<name> SOURCES a.cpp ... LIBS ossa_x ...)
# Test programs find their fixtures through OSSA_TEST_DATA_DIR (tests/data, in the source tree:
# a fresh clone carries them) and the built command through OSSA_BINARY.
function(ossa_add_gtest name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  ossa_target(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    OSSA_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    OSSA_BINARY="$<TARGET_FILE:ossa>")
  add_dependencies(${name} ossa)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # PRE_TEST discovery: listing the tests happens when ctest runs, not at build time, so a
  # sanitizer build does not run every test binary once during the build.
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT ${ARG_TIMEOUT})
endfunction()

# ossa_add_benchmark(<name> SOURCES a.cpp ... LIBS ossa_x ...)
# A Google Benchmark program beside a suite (tests/README.md); built when OSSA_BUILD_BENCHMARKS
# is on, never run by ctest. Returns without a target otherwise, so callers add properties only
# inside `if(TARGET <name>)`.
function(ossa_add_benchmark name)
  if(NOT OSSA_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  find_package(benchmark REQUIRED)
  add_executable(${name} ${ARG_SOURCES})
  ossa_target(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} benchmark::benchmark)
endfunction()
