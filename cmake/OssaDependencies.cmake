# Every dependency is a Debian package installed by scripts/setup.sh; this file turns each into
# an imported target. A missing one fails configure with the package name to install.
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 QUIET CONFIG)
find_package(tomlplusplus QUIET CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
pkg_check_modules(GUMBO REQUIRED IMPORTED_TARGET gumbo)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
# `ossa chat`'s line editing and history on a terminal (BSD licence).
pkg_check_modules(LIBEDIT QUIET IMPORTED_TARGET libedit)
if(NOT LIBEDIT_FOUND)
  message(FATAL_ERROR "ossa: libedit not found (pkg-config libedit); install the Debian package "
                      "libedit-dev (scripts/setup.sh does)")
endif()

function(ossa_require_header var header package)
  find_path(${var} ${header} HINTS ${ARGN})
  if(NOT ${var})
    message(FATAL_ERROR "ossa: ${header} not found; install the Debian package ${package} "
                        "(scripts/setup.sh does)")
  endif()
endfunction()

if(NOT TARGET CLI11::CLI11)
  ossa_require_header(OSSA_CLI11_INCLUDE CLI/CLI.hpp libcli11-dev)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 SYSTEM INTERFACE ${OSSA_CLI11_INCLUDE})
endif()

if(NOT TARGET tomlplusplus::tomlplusplus)
  ossa_require_header(OSSA_TOMLPP_INCLUDE toml++/toml.h libtomlplusplus-dev)
  add_library(tomlplusplus::tomlplusplus INTERFACE IMPORTED)
  target_include_directories(tomlplusplus::tomlplusplus SYSTEM INTERFACE ${OSSA_TOMLPP_INCLUDE})
endif()

# valijson is header-only. scripts/setup.sh extracts its headers into .deps/ rather than
# installing libvalijson-dev with its unrelated dependencies (see the script for why).
ossa_require_header(OSSA_VALIJSON_INCLUDE valijson/validator.hpp
                    "libvalijson-dev (headers)" ${PROJECT_SOURCE_DIR}/.deps/valijson/usr/include)
add_library(ossa_valijson INTERFACE)
target_include_directories(ossa_valijson SYSTEM INTERFACE ${OSSA_VALIJSON_INCLUDE})
target_link_libraries(ossa_valijson INTERFACE nlohmann_json::nlohmann_json)

# Boost.Asio/Beast: separate compilation keeps their implementation in one translation unit
# (cmake/boost_asio_impl.cpp) instead of every file that includes them. Every target using Asio
# links ossa_boost, so the macros are the same everywhere.
add_library(ossa_boost STATIC ${CMAKE_CURRENT_LIST_DIR}/boost_asio_impl.cpp)
target_link_libraries(ossa_boost PUBLIC Boost::headers Threads::Threads OpenSSL::SSL
                      OpenSSL::Crypto)
target_compile_definitions(ossa_boost PUBLIC BOOST_ASIO_NO_DEPRECATED
                           BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION)

# Test-only programs, optional: the web UI's browser tests (tests/server/webui_browser_test.cpp)
# drive Debian's chromium through chromium-driver, and skip with one line where they are absent.
find_program(OSSA_CHROMIUM NAMES chromium chromium-browser)
find_program(OSSA_CHROMEDRIVER NAMES chromedriver)
