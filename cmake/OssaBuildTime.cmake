# Build time. CI builds both presets from a cold compiler cache on two cores, and most of a
# translation unit's compile time goes to the templates it instantiates (JSON, Beast, CLI11,
# GoogleTest): parsing them, then generating their code again in every unit. Two levers:
#
# Unity batches (OSSA_UNITY_BUILD, on in the presets): a target's sources are compiled a few
# at a time as one unit, so those headers are parsed and their templates generated once per
# batch. Libraries and test suites alike; not engine/ and kernels/, whose speed is the product:
# each of their files stays its own unit, optimised exactly as written; nor the ossa executable
# (runtime/CMakeLists.txt says why). In a batch, the anonymous namespaces of its files are one:
# two test files of a suite cannot both define a helper of the same name (share it in a header).
#
# Optimisation levels, where speed does not matter:
#   OSSA_TEST_CODE_OPT  appended for the test programs and their helpers (tests/, not the
#                       Google Benchmark programs): the release preset sets -O1, so the code
#                       under test is still the -O3 build users run, only the harness is not.
#   OSSA_HOT_CODE_OPT   appended for the folders whose code the tests run for long (engine/,
#                       kernels/, runtime/harmony/): the asan preset builds everything else at
#                       -O0 and these at -O1, so the engine's golden tests stay quick.
# Empty (the default) adds nothing: a plain configure builds everything at its build type's level.
option(OSSA_UNITY_BUILD "Compile libraries and tests in unity batches (not engine/, kernels/)" OFF)
set(OSSA_TEST_CODE_OPT "" CACHE STRING "Optimisation flag for tests/ (e.g. -O1); empty: the build type's")
set(OSSA_HOT_CODE_OPT "" CACHE STRING "Optimisation flag for engine/, kernels/, runtime/harmony/")

function(ossa_target_build_time target)
  get_target_property(dir ${target} SOURCE_DIR)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${dir})
  if(OSSA_UNITY_BUILD AND NOT rel MATCHES "^(engine|kernels)(/|$)")
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    # GCC warns when a type with internal linkage (a lambda, an anonymous-namespace type) is a
    # member of one with external linkage (a coroutine's frame) outside the main file: a real
    # hazard in a header, but in a batch every source is included from the batch's unit.
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-subobject-linkage>)
  endif()
  if(OSSA_TEST_CODE_OPT AND rel MATCHES "^tests(/|$)" AND NOT target MATCHES "^ossa_bench_")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${OSSA_TEST_CODE_OPT}>)
  elseif(OSSA_HOT_CODE_OPT AND rel MATCHES "^(engine|kernels|runtime/harmony)(/|$)")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${OSSA_HOT_CODE_OPT}>)
  endif()
endfunction()

# Linking: with lld where the compiler can use it (scripts/setup.sh installs it). GNU ld took
# 4.2 s for an instrumented test program and 8.0 s for the instrumented ossa, lld 1.3 and 2.3 s;
# the asan preset links about 25 programs, and every edit relinks the ones it touches.
option(OSSA_LLD "Link with lld when the compiler can" ON)
if(OSSA_LLD)
  include(CheckLinkerFlag)
  check_linker_flag(CXX -fuse-ld=lld OSSA_HAVE_LLD)
  if(OSSA_HAVE_LLD)
    add_link_options($<$<LINK_LANGUAGE:CXX>:-fuse-ld=lld>)
  endif()
endif()
