// Fuzzes the server's request mappers: any body is either mapped to a generation request that
// renders, or refused with an ApiError carrying a 4xx status; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/harmony/renderer.hpp"
#include "runtime/server/chat_completions.hpp"
#include "runtime/server/responses_api.hpp"
#include "tests/server/builtin_namespaces.hpp"

using namespace ossa::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const MappingContext ctx = [] {
    MappingContext c;
    c.model_id = "m";
    c.builtins["python"] = ossa::test::builtin_namespaces().at("python");
    return c;
  }();
  const HistoryLookup lookup = [](const std::string&) {
    return std::optional<std::vector<ossa::harmony::Message>>(std::vector<ossa::harmony::Message>{});
  };
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (int api = 0; api < 2; ++api) {
    try {
      Json j = parse_body(body);
      GenerationRequest g = api == 0 ? parse_chat_request(j, ctx)
                                     : parse_responses_request(j, ctx, lookup).gen;
      ossa::harmony::Renderer r(ossa::harmony::Tokenizer::builtin());
      (void)r.render_for_completion(g.conversation, ossa::harmony::Role::Assistant);
    } catch (const ApiError& e) {
      if (e.status() < 400 || e.status() >= 500) __builtin_trap();
    }
  }
  return 0;
}
