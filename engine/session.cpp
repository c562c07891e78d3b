#include "engine/session.hpp"

#include <mutex>
#include <string>

#include "engine/forward.hpp"
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
  if (s.tokens.size() + tokens.size() > s.max_context) {
    throw SessionError("context overflow: " + std::to_string(s.tokens.size()) + " + " +
                       std::to_string(tokens.size()) + " tokens exceed max_context " +
                       std::to_string(s.max_context));
  }
}

// Runs tokens in chunks; if all_logits, fills it with tokens.size() x vocab.
void run(SessionState& s, std::span<const std::int32_t> tokens, std::vector<float>* all_logits) {
  if (tokens.empty()) return;
  const ModelImpl& m = s.model->impl();
  const std::size_t V = static_cast<std::size_t>(m.config.vocab_size);
  std::lock_guard<std::mutex> lock(m.compute_mutex);
  if (all_logits) all_logits->assign(tokens.size() * V, 0.0f);
  s.logits.resize(V);
  for (std::size_t b = 0; b < tokens.size(); b += kPrefillChunk) {
    const std::size_t n = std::min(kPrefillChunk, tokens.size() - b);
    const auto chunk = tokens.subspan(b, n);
    const std::size_t pos0 = s.tokens.size();
    if (all_logits) {
      forward(m, s, chunk, pos0, true, all_logits->data() + b * V, nullptr);
    } else if (b + n == tokens.size()) {
      forward(m, s, chunk, pos0, false, s.logits.data(), nullptr);
    } else {
      // Only the last chunk's logits matter; earlier chunks compute one row into scratch.
      forward(m, s, chunk, pos0, false, s.logits.data(), nullptr);
    }
    s.tokens.insert(s.tokens.end(), chunk.begin(), chunk.end());
  }
  if (all_logits) std::copy_n(all_logits->data() + (tokens.size() - 1) * V, V, s.logits.data());
}
}  // namespace

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options)
    : state_(std::make_unique<SessionState>()) {
  if (!model) throw SessionError("Session needs a model");
  state_->model = std::move(model);
  const auto& c = state_->model->config();
  state_->max_context = options.max_context ? options.max_context : c.context_length();
  state_->cache.init(c);
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

void Session::append(std::span<const std::int32_t> tokens) {
  check_tokens(*state_, tokens);
  run(*state_, tokens, nullptr);
}

std::vector<float> Session::append_all_logits(std::span<const std::int32_t> tokens) {
  check_tokens(*state_, tokens);
  std::vector<float> out;
  run(*state_, tokens, &out);
  return out;
}

std::span<const float> Session::logits() const {
  if (state_->tokens.empty()) return {};
  return state_->logits;
}

void Session::truncate(std::size_t n) {
  SessionState& s = *state_;
  if (n > s.tokens.size()) {
    throw SessionError("truncate(" + std::to_string(n) + ") beyond the " +
                       std::to_string(s.tokens.size()) + " tokens held");
  }
  if (n == s.tokens.size()) return;
  if (n == 0) {
    s.tokens.clear();
    s.logits.clear();
    return;
  }
  const std::size_t rewind = s.tokens.size() - n;
  std::vector<std::int32_t> redo;
  if (rewind <= kRewindSlack) {
    // Every ring still holds the window before position n: re-running token n-1 (its cache
    // rows are overwritten with the same values) restores the logits after it.
    redo.push_back(s.tokens[n - 1]);
    s.tokens.resize(n - 1);
  } else {
    redo.assign(s.tokens.begin(), s.tokens.begin() + static_cast<std::ptrdiff_t>(n));
    s.tokens.clear();
  }
  run(s, redo, nullptr);
}

std::size_t Session::size() const { return state_->tokens.size(); }
std::span<const std::int32_t> Session::tokens() const { return state_->tokens; }
std::size_t Session::max_context() const { return state_->max_context; }
const Model& Session::model() const { return *state_->model; }

}  // namespace ossa::engine
