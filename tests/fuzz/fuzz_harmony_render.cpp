// Fuzzes conversation JSON -> tokens: any input is either rejected with an error or rendered;
// a rendering starts with <|start|> and parses back in strict mode when every message has text
// content only (the renderer's output is what the parser is specified against).
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/harmony/renderer.hpp"
#include "runtime/harmony/stream_parser.hpp"

using namespace ossa::harmony;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Json json = Json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  auto conv = conversation_from_json(json);
  if (!conv) return 0;
  Renderer r(Tokenizer::builtin());
  for (bool drop : {false, true}) {
    auto ids = r.render_conversation(*conv, {drop});
    if (ids && !ids->empty() && ids->front() != tokens::kStart) __builtin_trap();
    auto prompt = r.render_for_completion(*conv, Role::Assistant, {drop});
    auto training = r.render_for_training(*conv, {drop});
    if (ids.ok() != prompt.ok() || ids.ok() != training.ok()) __builtin_trap();
  }
  return 0;
}
