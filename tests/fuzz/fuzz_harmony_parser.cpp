// Fuzzes the streaming parser in all three modes with token streams rich in harmony specials.
// Tolerant mode must never enter a fatal state and must end every stream in ExpectStart; the
// content deltas it streams must add up to the messages it completes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/harmony/stream_parser.hpp"

using namespace ossa::harmony;

namespace {
// Three bytes a token: the first picks a special (often) or an ordinary/out-of-range id.
std::vector<TokenId> tokens_from(const uint8_t* data, size_t size) {
  static const TokenId kSpecial[] = {tokens::kStart, tokens::kEnd, tokens::kCall, tokens::kReturn,
                                     tokens::kMessage, tokens::kChannel, tokens::kConstrain,
                                     173781 /*assistant*/, 17196 /*final*/, 35644 /*analysis*/,
                                     316 /* to*/, 28 /*=*/, 4108 /*json*/, 220 /* space*/, 1428 /*user*/};
  std::vector<TokenId> out;
  for (size_t i = 0; i + 2 < size; i += 3) {
    const uint32_t v = (uint32_t{data[i + 1]} << 8) | data[i + 2];
    if (data[i] < 128) out.push_back(kSpecial[v % std::size(kSpecial)]);
    else if (data[i] < 250) out.push_back(v * 4 + (data[i] & 3));  // ordinary ids 0..262143
    else out.push_back(199998 + v % 1200);                          // specials and beyond
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Tokenizer& tok = Tokenizer::builtin();
  const std::vector<TokenId> ids = tokens_from(data, size);
  for (ParserMode mode : {ParserMode::Strict, ParserMode::NonStrict, ParserMode::Tolerant}) {
    for (bool with_role : {false, true}) {
      StreamParser p(tok, {with_role ? std::optional<Role>(Role::Assistant) : std::nullopt, mode});
      std::string streamed;
      for (TokenId t : ids) {
        const bool ok = p.push(t);
        if (mode == ParserMode::Tolerant && !ok) __builtin_trap();
        for (const auto& e : p.events()) {
          if (e.kind == ParserEvent::Kind::ContentDelta) streamed += e.text;
          if (e.kind == ParserEvent::Kind::MessageStarted || e.kind == ParserEvent::Kind::Error)
            streamed.clear();
          if (e.kind == ParserEvent::Kind::MessageDone && mode == ParserMode::Tolerant &&
              e.message.text_content() != streamed)
            __builtin_trap();
        }
      }
      const bool ok = p.end_of_stream();
      if (mode == ParserMode::Tolerant && (!ok || p.state() != ParserState::ExpectStart))
        __builtin_trap();
    }
  }
  return 0;
}
