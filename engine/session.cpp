#include "engine/session.hpp"

#include <mutex>
#include <string>

#include "engine/session_state.hpp"

namespace ossa::engine {
namespace {
void check_tokens(const SessionState& s, std::span<const std::int32_t> tokens) {
  const auto vocab = s.model->config().vocab_size;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= vocab) {
      throw SessionError("token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                         " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
    }
  }
  if (s.seq.tokens.size() + tokens.size() > s.max_context) {
    throw SessionError("context overflow: " + std::to_string(s.seq.tokens.size()) + " + " +
                       std::to_string(tokens.size()) + " tokens exceed max_context " +
                       std::to_string(s.max_context));
  }
}

// Runs fn; if the KV cache runs out part way, rewinds to where the session was and rethrows.
template <class Fn>
void all_or_nothing(ModelImpl& m, Sequence& seq, Fn fn) {
  const std::size_t before = seq.tokens.size();
  try {
    fn();
  } catch (const KvBudgetError&) {
    rewind(m, seq, before);
    throw;
  }
}
}  // namespace

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options) {
  if (!model) throw SessionError("Session needs a model");
  const auto& c = model->config();
  state_ = std::make_unique<SessionState>(std::move(model), static_cast<std::size_t>(c.sliding_window) + kRewindSlack);
  state_->max_context = options.max_context ? options.max_context : c.context_length();
}

Session::~Session() {
  if (!state_) return;
  ModelImpl& m = state_->model->impl();
  std::lock_guard<std::mutex> lock(m.mutex);
  release(m, state_->seq);
}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&& o) noexcept {
  if (this != &o) {
    Session dying(std::move(*this));
    state_ = std::move(o.state_);
  }
  return *this;
}

void Session::append(std::span<const std::int32_t> tokens) {
  check_tokens(*state_, tokens);
  if (tokens.empty()) return;
  ModelImpl& m = state_->model->impl();
  std::lock_guard<std::mutex> lock(m.mutex);
  all_or_nothing(m, state_->seq, [&] { engine::append(m, state_->seq, tokens); });
}

std::vector<float> Session::append_all_logits(std::span<const std::int32_t> tokens) {
  check_tokens(*state_, tokens);
  std::vector<float> out;
  if (tokens.empty()) return out;
  ModelImpl& m = state_->model->impl();
  const std::size_t V = static_cast<std::size_t>(m.config.vocab_size);
  out.assign(tokens.size() * V, 0.0f);
  std::lock_guard<std::mutex> lock(m.mutex);
  all_or_nothing(m, state_->seq, [&] {
    for (std::size_t b = 0; b < tokens.size(); b += kMaxStepTokens) {
      StepWork w;
      w.seq = &state_->seq;
      w.tokens = tokens.subspan(b, std::min(kMaxStepTokens, tokens.size() - b));
      w.all_logits = true;
      w.all_out = out.data() + b * V;
      run_step(m, std::span(&w, 1));
      if (!w.error.empty()) throw KvBudgetError(w.error);
    }
  });
  return out;
}

std::span<const float> Session::logits() const {
  if (state_->seq.tokens.empty()) return {};
  return state_->seq.logits;
}

void Session::truncate(std::size_t n) {
  SessionState& s = *state_;
  if (n > s.seq.tokens.size()) {
    throw SessionError("truncate(" + std::to_string(n) + ") beyond the " + std::to_string(s.seq.tokens.size()) +
                       " tokens held");
  }
  ModelImpl& m = s.model->impl();
  std::lock_guard<std::mutex> lock(m.mutex);
  rewind(m, s.seq, n);
}

std::size_t Session::size() const { return state_->seq.tokens.size(); }
std::span<const std::int32_t> Session::tokens() const { return state_->seq.tokens; }
std::size_t Session::max_context() const { return state_->max_context; }
const Model& Session::model() const { return *state_->model; }

}  // namespace ossa::engine
