# Warnings apply to ossa's own targets only, never to third-party headers (those come in as
# SYSTEM include directories through imported targets).
function(ossa_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
                              -Wimplicit-fallthrough>)
  if(OSSA_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
  endif()
endfunction()

# Every library/executable of ours calls this: warnings plus the common include root, so
# headers are included as "engine/kv_cache.hpp", "runtime/harmony/tokenizer.hpp", ...
function(ossa_target target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
  else()
    ossa_target_warnings(${target})
    ossa_target_build_time(${target})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  endif()
endfunction()
