#pragma once
// Token sources over the real engine: one engine session (KV cache) per generation slot,
// sharing one loaded model; each request's sampling settings go to the slot's sampler.
#include <memory>

#include "engine/model.hpp"
#include "runtime/server/slot_pool.hpp"

namespace ossa::server {

class EngineSourceFactory final : public SourceFactory {
 public:
  explicit EngineSourceFactory(std::shared_ptr<const engine::Model> model);
  std::unique_ptr<runtime::TokenSource> make() override;
  void configure(runtime::TokenSource& source, const SamplingOptions& sampling) override;

 private:
  std::shared_ptr<const engine::Model> model_;
};

}  // namespace ossa::server
