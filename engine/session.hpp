#pragma once
// One token sequence being run through a Model, with its own KV cache.
//
//   Session s(model);
//   s.append(prompt_ids);               // batched prefill
//   int32_t next = sampler.sample(s.logits());
//   s.append({&next, 1});               // decode step
//   s.truncate(n);                      // rewind to a prefix (conversation re-rendered)
//
// Thread safety: a Session is NOT internally synchronised; use each one from one thread at a
// time (it may be a different thread from the one that created it or loaded the model). Any
// number of Sessions over the same Model may be used concurrently from different threads.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

#include "engine/model.hpp"

namespace ossa::engine {

// Positions the sliding-window layers keep beyond their window, so a Session can rewind up
// to this many tokens (truncate) without recomputing; longer rewinds recompute the prefix.
inline constexpr std::size_t kRewindSlack = 1024;

struct SessionOptions {
  // Most tokens the session may hold; 0 = the model's context_length().
  std::size_t max_context = 0;
};

// Bad input to a Session: a token id outside the vocabulary, or more tokens than max_context.
struct SessionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class SessionState;

class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model, const SessionOptions& options = {});
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Runs `tokens` through the model after the ones already held. Throws SessionError (and
  // leaves the session unchanged) for an id outside [0, vocab) or a context overflow, and
  // KvBudgetError (kv_blocks.hpp; also unchanged) when the model's KV memory is exhausted.
  void append(std::span<const std::int32_t> tokens);
  // append(), also returning the logits after every one of `tokens` (tokens.size() x vocab).
  std::vector<float> append_all_logits(std::span<const std::int32_t> tokens);
  // Next-token logits (vocab_size fp32) after the last token; empty while size() == 0.
  std::span<const float> logits() const;
  // Keeps the first n tokens (n <= size()) and the logits after token n-1. Cheap when the
  // rewind is short (up to kRewindSlack tokens); a longer one recomputes the prefix.
  void truncate(std::size_t n);

  std::size_t size() const;
  std::span<const std::int32_t> tokens() const;
  std::size_t max_context() const;
  const Model& model() const;

 private:
  std::unique_ptr<SessionState> state_;
};

}  // namespace ossa::engine
