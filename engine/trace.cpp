#include "engine/trace.hpp"

#include <mutex>
#include <stdexcept>

#include "engine/sequence.hpp"

namespace ossa::engine {

std::vector<float> trace_forward(const Model& model, std::span<const std::int32_t> tokens, const TraceFn& trace) {
  if (tokens.empty() || tokens.size() > kMaxStepTokens) throw std::invalid_argument("trace_forward: 1 to 256 tokens");
  ModelImpl& m = model.impl();
  std::vector<float> out(tokens.size() * static_cast<std::size_t>(m.config.vocab_size));
  Sequence seq(m, m.kv.window);
  std::lock_guard<std::mutex> lock(m.mutex);
  StepWork w;
  w.seq = &seq;
  w.tokens = tokens;
  w.all_logits = true;
  w.all_out = out.data();
  run_step(m, std::span(&w, 1), &trace);
  release(m, seq);
  if (!w.error.empty()) throw KvBudgetError(w.error);
  return out;
}

}  // namespace ossa::engine
