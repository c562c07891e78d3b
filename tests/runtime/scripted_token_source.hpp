#pragma once
// Test double of the engine interface, for loop tests only: each round (each set_context call)
// replays the next scripted token sequence, then reports the end of the stream. It records the
// prompts it was given and how many tokens each one re-processed, so tests can check KV reuse.
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/harmony/tokenizer.hpp"
#include "runtime/token_source.hpp"

namespace ossa::test {

class ScriptedTokenSource final : public runtime::TokenSource {
 public:
  // Each round is harmony text with special tokens spelled out ("<|channel|>final<|message|>..").
  explicit ScriptedTokenSource(const std::vector<std::string>& rounds,
                               std::chrono::microseconds per_token = {})
      : per_token_(per_token) {
    const auto& tok = harmony::Tokenizer::builtin();
    for (const auto& r : rounds) rounds_.push_back(tok.encode_with_specials(r));
  }

  std::size_t set_context(std::span<const runtime::TokenId> prompt) override {
    std::lock_guard lk(mu_);
    std::size_t lcp = 0;
    while (lcp < context_.size() && lcp < prompt.size() && context_[lcp] == prompt[lcp]) ++lcp;
    context_.assign(prompt.begin(), prompt.end());
    prompts_.push_back(context_);
    reprocessed_.push_back(prompt.size() - lcp);
    ++round_;
    pos_ = 0;
    return prompt.size() - lcp;
  }

  std::optional<runtime::TokenId> next_token() override {
    if (per_token_.count() > 0) std::this_thread::sleep_for(per_token_);
    std::lock_guard lk(mu_);
    if (round_ == 0 || round_ > rounds_.size() || pos_ >= rounds_[round_ - 1].size())
      return std::nullopt;
    runtime::TokenId t = rounds_[round_ - 1][pos_++];
    context_.push_back(t);
    return t;
  }

  std::vector<std::vector<runtime::TokenId>> prompts() const {
    std::lock_guard lk(mu_);
    return prompts_;
  }
  std::vector<std::size_t> reprocessed() const {
    std::lock_guard lk(mu_);
    return reprocessed_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::vector<runtime::TokenId>> rounds_;
  std::chrono::microseconds per_token_;
  std::vector<runtime::TokenId> context_;
  std::vector<std::vector<runtime::TokenId>> prompts_;
  std::vector<std::size_t> reprocessed_;
  std::size_t round_ = 0;
  std::size_t pos_ = 0;
};

}  // namespace ossa::test
