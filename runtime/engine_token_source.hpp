#pragma once
// TokenSource over the real engine. Driven by an EngineWorker (the normal case), the source
// is one sequence of the worker's engine::Scheduler for its model: requests of all sources on
// that model run together in batched steps, and the sequence keeps its KV cache between
// rounds (a tool round costs the new tokens, not the whole prompt). Called directly
// (set_context / next_token, one token at a time) it runs on its own engine::Session.
#include <functional>
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
  ~EngineTokenSource() override;
  std::size_t set_context(std::span<const TokenId> prompt) override;
  std::optional<TokenId> next_token() override;
  // A new sampler (the server applies each request's temperature, top_p and seed).
  void set_sampling(const engine::SamplingParams& sampling) { sampler_ = engine::Sampler(sampling); }

  const std::shared_ptr<const engine::Model>& model() const { return model_; }
  const engine::SamplingParams& sampling() const { return sampling_; }
  // Set by the EngineWorker that serves this source; run when the source is destroyed so the
  // worker frees its sequence.
  void on_destroy(std::function<void()> fn) { on_destroy_ = std::move(fn); }

 private:
  std::shared_ptr<const engine::Model> model_;
  engine::SamplingParams sampling_;
  engine::Session session_;
  engine::Sampler sampler_;
  std::vector<std::int32_t> scratch_;
  std::function<void()> on_destroy_;
};

}  // namespace ossa::runtime
