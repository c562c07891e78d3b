#include "runtime/server/engine_source_factory.hpp"

#include <random>

#include "runtime/engine_token_source.hpp"

namespace ossa::server {

EngineSourceFactory::EngineSourceFactory(std::shared_ptr<const engine::Model> model)
    : model_(std::move(model)) {}

std::unique_ptr<runtime::TokenSource> EngineSourceFactory::make() {
  return std::make_unique<runtime::EngineTokenSource>(model_, engine::SamplingParams{});
}

void EngineSourceFactory::configure(runtime::TokenSource& source, const SamplingOptions& s) {
  engine::SamplingParams p;
  p.temperature = static_cast<float>(s.temperature);
  p.top_p = static_cast<float>(s.top_p);
  p.seed = s.seed ? *s.seed : std::random_device{}();
  static_cast<runtime::EngineTokenSource&>(source).set_sampling(p);
}

}  // namespace ossa::server
