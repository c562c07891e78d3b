#include "runtime/engine_token_source.hpp"

#include <algorithm>

namespace ossa::runtime {

EngineTokenSource::EngineTokenSource(std::shared_ptr<const engine::Model> model,
                                     const engine::SamplingParams& sampling)
    : model_(model), sampling_(sampling), session_(std::move(model)), sampler_(sampling) {}

EngineTokenSource::~EngineTokenSource() {
  if (on_destroy_) on_destroy_();
}

std::size_t EngineTokenSource::set_context(std::span<const TokenId> prompt) {
  auto held = session_.tokens();
  std::size_t n = std::min(held.size(), prompt.size());
  std::size_t lcp = 0;
  while (lcp < n && static_cast<TokenId>(held[lcp]) == prompt[lcp]) ++lcp;
  // The logits after the last prompt token are needed; a prompt equal to what is held keeps
  // them, anything else rewinds to the shared prefix and appends the rest.
  if (lcp < held.size()) session_.truncate(lcp);
  scratch_.assign(prompt.begin() + static_cast<std::ptrdiff_t>(lcp), prompt.end());
  if (!scratch_.empty()) session_.append(scratch_);
  return scratch_.size();
}

std::optional<TokenId> EngineTokenSource::next_token() {
  std::int32_t t = sampler_.sample(session_.logits());
  session_.append(std::span<const std::int32_t>(&t, 1));
  return static_cast<TokenId>(t);
}

}  // namespace ossa::runtime
