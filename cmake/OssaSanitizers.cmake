# The asan preset turns this on for every target, third-party code compiled here included, so
# that ASan's container annotations and UBSan's checks see the whole program.
if(OSSA_SANITIZE)
  set(_ossa_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:${_ossa_san}>")
  add_link_options(${_ossa_san})
  # Instrumented and position-independent, the ossa binary carried ~5 million relative
  # relocations (UBSan's per-check records, ASan's global descriptors) that the loader applied
  # at every start: half of the 0.8 s an `ossa --help` took, in tests that start ossa thousands
  # of times. Linked at a fixed address they are resolved once, at link time. (The objects stay
  # -fPIE, which a fixed-address executable links as well.)
  add_link_options(-no-pie)
  add_compile_definitions(OSSA_SANITIZE=1)
  # GCC 12's flow warnings are unreliable once sanitizer instrumentation is inlined: it reports
  # mismatched new/delete on the frames of Asio coroutines and maybe-uninitialized inside
  # <regex>/valijson, none of which the release build (same code, same -Werror) sees. The
  # release preset keeps both warnings as errors; only the instrumented build drops them.
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:-Wno-mismatched-new-delete;-Wno-maybe-uninitialized>")
endif()
