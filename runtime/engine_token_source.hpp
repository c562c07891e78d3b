#pragma once
// TokenSource over the real engine: one engine::Session (its KV cache) and one Sampler.
// set_context() keeps the longest common prefix of the session's tokens and appends only the
// rest, so a tool round costs the new tokens, not the whole prompt.
#include <memory>

#include "engine/model.hpp"
#include "engine/sampler.hpp"
#include "engine/session.hpp"
#include "runtime/token_source.hpp"

namespace ossa::runtime {

class EngineTokenSource final : public TokenSource {
 public:
  EngineTokenSource(std::shared_ptr<const engine::Model> model,
                    const engine::SamplingParams& sampling);
  std::size_t set_context(std::span<const TokenId> prompt) override;
  std::optional<TokenId> next_token() override;
  // A new sampler (the server applies each request's temperature, top_p and seed).
  void set_sampling(const engine::SamplingParams& sampling) { sampler_ = engine::Sampler(sampling); }

 private:
  engine::Session session_;
  engine::Sampler sampler_;
  std::vector<std::int32_t> scratch_;
};

}  // namespace ossa::runtime
