#include "engine/generate.hpp"

#include <algorithm>

namespace ossa::engine {

GenerateResult generate(Session& session, Sampler& sampler, std::size_t max_new_tokens,
                        std::span<const std::int32_t> stop_tokens, const TokenCallback& on_token) {
  GenerateResult result;
  if (session.size() == 0) throw SessionError("generate needs at least one prompt token");
  for (std::size_t i = 0; i < max_new_tokens; ++i) {
    const std::int32_t next = sampler.sample(session.logits());
    session.append({&next, 1});
    result.tokens.push_back(next);
    if (std::find(stop_tokens.begin(), stop_tokens.end(), next) != stop_tokens.end()) {
      result.stopped = true;
      break;
    }
    if (on_token && !on_token(next)) break;
  }
  return result;
}

}  // namespace ossa::engine
