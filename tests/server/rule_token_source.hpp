#pragma once
// Test double of the engine for server tests (never linked into `ossa`): each round replies
// with the first rule whose `when` text occurs in the last non-assistant message of the prompt
// (the user's question, or the tool result the model is answering), so a test scripts a whole
// tool-calling conversation without a trained model. Replies are harmony text with special
// tokens spelled out; a rule with an empty `when` matches anything.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/harmony/tokenizer.hpp"
#include "runtime/server/slot_pool.hpp"
#include "runtime/token_source.hpp"

namespace ossa::test {

struct Rule {
  Rule(std::string w, std::string r, std::string c = {})
      : when(std::move(w)), reply(std::move(r)), context(std::move(c)) {}
  std::string when;
  std::string reply;
  std::string context;  // when set, must also occur somewhere in the whole prompt
};

struct RuleStats {
  std::atomic<long> tokens{0};   // tokens handed out, all sources together
  std::atomic<long> rounds{0};
};

class RuleTokenSource final : public runtime::TokenSource {
 public:
  RuleTokenSource(std::shared_ptr<const std::vector<Rule>> rules, std::chrono::microseconds per_token,
                  std::shared_ptr<RuleStats> stats)
      : rules_(std::move(rules)), per_token_(per_token), stats_(std::move(stats)) {}

  std::size_t set_context(std::span<const runtime::TokenId> prompt) override {
    std::size_t lcp = 0;
    while (lcp < context_.size() && lcp < prompt.size() && context_[lcp] == prompt[lcp]) ++lcp;
    context_.assign(prompt.begin(), prompt.end());
    const auto& tok = harmony::Tokenizer::builtin();
    std::string text = tok.decode_lossy(prompt);
    // The last message that is not the assistant's (the prompt ends with <|start|>assistant).
    std::size_t at = std::string::npos, pos = text.size();
    while (pos > 0) {
      std::size_t s = text.rfind("<|start|>", pos - 1);
      if (s == std::string::npos) break;
      if (text.compare(s + 9, 9, "assistant") != 0) {
        at = s;
        break;
      }
      if (s == 0) break;
      pos = s;
    }
    std::string last = at == std::string::npos ? text : text.substr(at);
    std::string reply = "<|channel|>final<|message|>no rule matched<|return|>";
    for (const Rule& r : *rules_)
      if (last.find(r.when) != std::string::npos &&
          (r.context.empty() || text.find(r.context) != std::string::npos)) {
        reply = r.reply;
        break;
      }
    script_ = tok.encode_with_specials(reply);
    pos_ = 0;
    if (stats_) ++stats_->rounds;
    return prompt.size() - lcp;
  }

  std::optional<runtime::TokenId> next_token() override {
    if (per_token_.count() > 0) std::this_thread::sleep_for(per_token_);
    if (pos_ >= script_.size()) return std::nullopt;
    runtime::TokenId t = script_[pos_++];
    context_.push_back(t);
    if (stats_) ++stats_->tokens;
    return t;
  }

 private:
  std::shared_ptr<const std::vector<Rule>> rules_;
  std::chrono::microseconds per_token_;
  std::shared_ptr<RuleStats> stats_;
  std::vector<runtime::TokenId> context_;
  std::vector<runtime::TokenId> script_;
  std::size_t pos_ = 0;
};

class RuleSourceFactory final : public server::SourceFactory {
 public:
  explicit RuleSourceFactory(std::vector<Rule> rules, std::chrono::microseconds per_token = {})
      : rules_(std::make_shared<const std::vector<Rule>>(std::move(rules))),
        per_token_(per_token),
        stats_(std::make_shared<RuleStats>()) {}
  std::unique_ptr<runtime::TokenSource> make() override {
    return std::make_unique<RuleTokenSource>(rules_, per_token_, stats_);
  }
  void configure(runtime::TokenSource&, const server::SamplingOptions& s) override { last_sampling = s; }
  RuleStats& stats() { return *stats_; }
  server::SamplingOptions last_sampling;

 private:
  std::shared_ptr<const std::vector<Rule>> rules_;
  std::chrono::microseconds per_token_;
  std::shared_ptr<RuleStats> stats_;
};

}  // namespace ossa::test
