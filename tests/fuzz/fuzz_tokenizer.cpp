// Fuzzes the tokenizer with arbitrary bytes (invalid UTF-8 included): encoding must round-trip
// exactly, with and without special tokens, and incremental decoding must equal whole decoding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/harmony/tokenizer.hpp"

using namespace ossa::harmony;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Tokenizer& tok = Tokenizer::builtin();
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool specials : {false, true}) {
    const auto ids = specials ? tok.encode_with_specials(text) : tok.encode_ordinary(text);
    std::string back;
    if (!tok.decode_bytes(ids, back) || back != text) __builtin_trap();
    if (!specials)
      for (TokenId id : ids)
        if (Tokenizer::is_special(id)) __builtin_trap();
    IncrementalDecoder dec(tok);
    std::string streamed;
    for (TokenId id : ids) streamed += dec.push(id);
    streamed += dec.flush();
    if (streamed != tok.decode_lossy(ids)) __builtin_trap();
  }
  return 0;
}
