// The default o200k_base ranks, compiled into the library so that `ossa` needs no data file at
// run time (a single self-contained binary is easier to install and cannot load a mismatched
// vocabulary). The assembler's .incbin copies data/o200k_base.tiktoken into .rodata; CMake
// passes its path and content hash (the hash makes compiler caches see a changed file).
#include "runtime/harmony/tokenizer.hpp"

#include <cstdio>
#include <cstdlib>

#ifndef OSSA_HARMONY_RANKS_FILE
#error "OSSA_HARMONY_RANKS_FILE must name data/o200k_base.tiktoken"
#endif

__asm__(".section .rodata\n"
        ".balign 16\n"
        ".hidden ossa_harmony_o200k_begin\n"
        ".hidden ossa_harmony_o200k_end\n"
        "ossa_harmony_o200k_begin:\n"
        ".incbin \"" OSSA_HARMONY_RANKS_FILE "\"\n"
        "ossa_harmony_o200k_end:\n"
        ".previous\n");

extern "C" const char ossa_harmony_o200k_begin[];
extern "C" const char ossa_harmony_o200k_end[];

namespace ossa::harmony {

const Tokenizer& Tokenizer::builtin() {
  static const std::shared_ptr<const Tokenizer> tok = [] {
    std::string_view text(ossa_harmony_o200k_begin,
                          static_cast<size_t>(ossa_harmony_o200k_end - ossa_harmony_o200k_begin));
    auto r = from_tiktoken(text);
    if (!r) {
      // Only a broken build can get here; nothing sensible can run without a vocabulary.
      std::fprintf(stderr, "ossa: builtin tokenizer ranks are corrupt: %s\n", r.error().c_str());
      std::abort();
    }
    return *r;
  }();
  return *tok;
}

}  // namespace ossa::harmony
