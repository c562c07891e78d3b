#pragma once
// The runtime's view of a generation backend: one TokenSource per agent session, holding that
// session's model state (its KV cache). The engine adapter (engine_token_source.hpp) implements
// it over an engine Session; loop tests implement it with scripted output.
//
// Calls are blocking and are only made from the EngineWorker's thread (engine_worker.hpp), one
// at a time per source; they never run on the event loop.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ossa::runtime {

using TokenId = uint32_t;

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // Makes the context exactly `prompt`, keeping the longest common prefix of the current
  // context (its KV cache) and processing only the rest. Returns how many tokens were
  // processed (prompt.size() minus the reused prefix).
  virtual std::size_t set_context(std::span<const TokenId> prompt) = 0;
  // Samples the next token, appends it to the context and returns it; nullopt when the source
  // has nothing more to give (a scripted source at the end of its script). Never called before
  // set_context.
  virtual std::optional<TokenId> next_token() = 0;
};

}  // namespace ossa::runtime
