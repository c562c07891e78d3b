#include "engine/scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "engine/model_impl.hpp"
#include "engine/sequence.hpp"

namespace ossa::engine {
namespace {
using Clock = std::chrono::steady_clock;
double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }
}  // namespace

struct Scheduler::Slot {
  Slot(const ModelImpl& m, std::size_t keep_behind, const SamplingParams& p) : seq(m, keep_behind), sampler(p) {}
  SequenceId id = 0;
  Sequence seq;
  Sampler sampler;
  std::vector<std::int32_t> pending;  // context not yet computed (prompt rest or the last sampled token)
  bool logits_valid = false;          // seq.logits are those after the last computed token
  std::optional<Request> req;
  std::function<void(Result)> done;
  Result result;
  bool admitted = false;
  bool cancel = false;
  Clock::time_point submitted;
};

Scheduler::Scheduler(std::shared_ptr<const Model> model, const SchedulerOptions& options)
    : model_(std::move(model)), options_(options) {
  if (!model_) throw std::invalid_argument("Scheduler needs a model");
  if (options_.max_step_tokens == 0) options_.max_step_tokens = 1;
}

Scheduler::~Scheduler() {
  ModelImpl& m = model_->impl();
  std::lock_guard<std::mutex> lock(m.mutex);
  for (auto& [id, s] : slots_) release(m, s->seq);
}

Scheduler::Slot& Scheduler::slot(SequenceId id) const {
  auto it = slots_.find(id);
  if (it == slots_.end()) throw std::invalid_argument("unknown sequence " + std::to_string(id));
  return *it->second;
}

SequenceId Scheduler::open(const SamplingParams& sampling) {
  const ModelImpl& m = model_->impl();
  // Sliding layers keep one block beyond the window, so re-running the last token (a prompt
  // equal to what is held) still finds its window.
  auto s = std::make_unique<Slot>(m, m.kv.window + m.kv.block_tokens, sampling);
  s->id = next_id_++;
  s->seq.use_prefix_cache = options_.prefix_cache;
  const SequenceId id = s->id;
  slots_.emplace(id, std::move(s));
  return id;
}

void Scheduler::close(SequenceId id) {
  Slot& s = slot(id);
  std::vector<std::pair<std::function<void(Result)>, Result>> done;
  if (s.req) {
    s.result.cancelled = true;
    finish(s, done);
  }
  {
    ModelImpl& m = model_->impl();
    std::lock_guard<std::mutex> lock(m.mutex);
    release(m, s.seq);
  }
  slots_.erase(id);
  for (auto& [fn, r] : done) fn(std::move(r));
}

void Scheduler::submit(SequenceId id, Request request, std::function<void(Result)> done) {
  Slot& s = slot(id);
  if (s.req) {
    Result r;
    r.error = "sequence " + std::to_string(id) + " already has a request in flight";
    return done(std::move(r));
  }
  s.req = std::move(request);
  s.done = std::move(done);
  s.result = Result{};
  s.admitted = false;
  s.cancel = false;
  s.submitted = Clock::now();
  queue_.push_back(id);
}

void Scheduler::cancel(SequenceId id) {
  auto it = slots_.find(id);
  if (it != slots_.end() && it->second->req) it->second->cancel = true;
}

bool Scheduler::busy() const { return !queue_.empty() || !running_.empty(); }

std::vector<std::int32_t> Scheduler::context(SequenceId id) const {
  const Slot& s = slot(id);
  std::vector<std::int32_t> out = s.seq.tokens;
  out.insert(out.end(), s.pending.begin(), s.pending.end());
  return out;
}

void Scheduler::finish(Slot& s, std::vector<std::pair<std::function<void(Result)>, Result>>& out) {
  s.result.total_ms = ms(s.submitted, Clock::now());
  out.emplace_back(std::move(s.done), std::move(s.result));
  s.req.reset();
  s.done = nullptr;
  s.result = Result{};
  s.admitted = false;
  s.cancel = false;
  std::erase(queue_, s.id);
  std::erase(running_, s.id);
}

// Gives an idle sequence's blocks back: its context becomes pending again (the prefix cache
// keeps its completed blocks, so taking it up later is cheap while they stay cached).
void Scheduler::park(Slot& s) {
  ModelImpl& m = model_->impl();
  std::vector<std::int32_t> ctx = std::move(s.seq.tokens);
  ctx.insert(ctx.end(), s.pending.begin(), s.pending.end());
  release(m, s.seq);
  s.pending = std::move(ctx);
  s.logits_valid = false;
}

// Makes computed + pending equal the request's prompt, keeping the longest common prefix.
void Scheduler::set_context(Slot& s) {
  ModelImpl& m = model_->impl();
  const auto& prompt = *s.req->prompt;
  const auto& held = s.seq.tokens;
  std::size_t lcp = 0;
  const std::size_t n = std::min(held.size(), prompt.size());
  while (lcp < n && held[lcp] == prompt[lcp]) ++lcp;
  if (lcp < held.size()) {
    // Rewind in place when the sliding layers still hold the window; else start over from the
    // prefix cache.
    const std::size_t B = m.kv.block_tokens;
    s.seq.kv.truncate(m.blocks, lcp);
    s.seq.tokens.resize(lcp);
    if (s.seq.chain.size() > lcp / B) s.seq.chain.resize(lcp / B);
    s.logits_valid = false;
    if (!s.seq.kv.holds_window_before(lcp)) release(m, s.seq);
  }
  if (s.seq.tokens.empty()) {
    s.result.cached = attach_prefix(m, s.seq, prompt);
    s.logits_valid = false;
  }
  s.pending.assign(prompt.begin() + static_cast<std::ptrdiff_t>(s.seq.tokens.size()), prompt.end());
  if (s.pending.empty() && !s.logits_valid && !s.seq.tokens.empty()) {
    // The prompt is exactly what is computed but its logits are gone: re-run the last token.
    const std::size_t keep = s.seq.tokens.size() - 1;
    s.pending.push_back(s.seq.tokens.back());
    s.seq.kv.truncate(m.blocks, keep + 1);  // its block stays; the row is rewritten
    s.seq.tokens.resize(keep);
    if (s.seq.chain.size() > keep / m.kv.block_tokens) s.seq.chain.resize(keep / m.kv.block_tokens);
  }
}

std::size_t Scheduler::outstanding_blocks(const Slot& s) const {
  const ModelImpl& m = model_->impl();
  const std::size_t final_len = s.seq.tokens.size() + s.pending.size() + (s.req ? s.req->max_tokens : 0);
  const std::size_t peak = m.kv.peak_blocks(final_len, s.seq.kv.keep_behind(), options_.max_step_tokens);
  const std::size_t held = s.seq.kv.held();
  return peak > held ? peak - held : 0;
}

// Admits s if its worst case fits next to what running requests may still take (committed).
bool Scheduler::admit(Slot& s, std::size_t committed) {
  ModelImpl& m = model_->impl();
  const Request& r = *s.req;
  const auto V = model_->config().vocab_size;
  if (r.prompt) {
    for (std::size_t i = 0; i < r.prompt->size(); ++i) {
      const auto t = (*r.prompt)[i];
      if (t < 0 || t >= V) {
        s.result.error = "token id " + std::to_string(t) + " at index " + std::to_string(i) +
                         " is outside the vocabulary [0, " + std::to_string(V) + ")";
        return true;
      }
    }
  }
  const std::size_t ctx_len = (r.prompt ? r.prompt->size() : s.seq.tokens.size() + s.pending.size()) + r.max_tokens;
  if (ctx_len > model_->config().context_length()) {
    s.result.error = "context overflow: " + std::to_string(ctx_len) + " tokens (prompt + max_tokens) exceed the model's " +
                     std::to_string(model_->config().context_length());
    return true;
  }
  if (r.prompt ? r.prompt->empty() : s.seq.tokens.empty() && s.pending.empty()) {
    s.result.error = "empty context: a sequence's request needs a non-empty prompt";
    return true;
  }
  const std::size_t whole = m.kv.peak_blocks(ctx_len, s.seq.kv.keep_behind(), options_.max_step_tokens);
  if (whole > m.blocks.capacity()) {
    const double mib = static_cast<double>(whole) * static_cast<double>(m.kv.block_bytes()) / (1 << 20);
    s.result.error = "the KV cache cannot hold this request: " + std::to_string(ctx_len) + " tokens need " +
                     std::to_string(static_cast<long long>(mib + 0.5)) + " MiB, the whole budget is " +
                     std::to_string(m.kv_budget_bytes >> 20) + " MiB (raise --kv-memory or shorten the prompt)";
    return true;
  }
  if (r.prompt) set_context(s);
  auto available = [&] {
    const std::size_t free = m.blocks.free_count() + m.prefix.reclaimable_blocks();
    return free > committed ? free - committed : 0;
  };
  const std::size_t need = outstanding_blocks(s);
  if (need > available()) {
    // Idle sequences hold blocks nobody computes with: give them back.
    for (auto& [id, other] : slots_) {
      if (need <= available()) break;
      if (other.get() != &s && !other->req && other->seq.kv.held() > 0) park(*other);
    }
  }
  if (need > available()) return false;
  s.admitted = true;
  s.result.queued_ms = ms(s.submitted, Clock::now());
  return true;
}

StepReport Scheduler::step() {
  StepReport rep;
  std::vector<std::pair<std::function<void(Result)>, Result>> done;
  ModelImpl& m = model_->impl();
  const std::size_t V = static_cast<std::size_t>(m.config.vocab_size);
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    // Cancellations take effect here, between steps.
    for (auto& [id, s] : slots_) {
      if (s->req && s->cancel) {
        s->result.cancelled = true;
        finish(*s, done);
      }
    }
    // Admission in arrival order; the first that does not fit waits, and so do those behind it.
    std::size_t committed = 0;
    for (SequenceId id : running_) committed += outstanding_blocks(slot(id));
    while (!queue_.empty()) {
      Slot& s = slot(queue_.front());
      if (!admit(s, committed)) break;
      queue_.erase(queue_.begin());
      if (!s.result.error.empty()) {
        finish(s, done);
        continue;
      }
      running_.push_back(s.id);
      committed += outstanding_blocks(s);
    }

    // A sequence whose prompt is already computed (with its logits) samples without a step.
    auto advance = [&](Slot& s) {
      const Request& r = *s.req;
      if (s.result.tokens.size() >= r.max_tokens) {
        if (s.result.first_token_ms == 0) s.result.first_token_ms = ms(s.submitted, Clock::now());
        return finish(s, done);
      }
      const std::int32_t t = s.sampler.sample(s.seq.logits);
      if (s.result.tokens.empty()) s.result.first_token_ms = ms(s.submitted, Clock::now());
      s.result.tokens.push_back(t);
      s.pending.assign(1, t);
      s.logits_valid = false;
      const bool stop = std::find(r.stop_tokens.begin(), r.stop_tokens.end(), t) != r.stop_tokens.end();
      s.result.stopped = stop;
      if (stop || s.result.tokens.size() >= r.max_tokens) finish(s, done);
    };
    for (SequenceId id : std::vector<SequenceId>(running_)) {
      Slot& s = slot(id);
      if (s.pending.empty() && s.logits_valid) advance(s);
    }

    // The batch: every decoding sequence's token first, then prefill chunks.
    struct Planned {
      Slot* s;
      std::size_t n;
      bool decode;
      std::vector<float> all;  // prompt logits of this chunk
    };
    std::vector<Planned> plan;
    std::size_t budget = options_.max_step_tokens;
    for (SequenceId id : running_) {
      Slot& s = slot(id);
      if (!s.result.tokens.empty() && !s.pending.empty()) {
        plan.push_back({&s, 1, true, {}});
        budget -= std::min<std::size_t>(budget, 1);
      }
    }
    for (SequenceId id : running_) {
      Slot& s = slot(id);
      const bool decoding = !s.result.tokens.empty();
      if (decoding || s.pending.empty() || budget == 0) continue;
      const std::size_t n = std::min(budget, s.pending.size());
      plan.push_back({&s, n, false, {}});
      budget -= n;
    }
    std::vector<StepWork> work(plan.size());
    for (std::size_t i = 0; i < plan.size(); ++i) {
      Planned& p = plan[i];
      StepWork& w = work[i];
      w.seq = &p.s->seq;
      w.tokens = std::span<const std::int32_t>(p.s->pending).first(p.n);
      w.want_logits = p.n == p.s->pending.size();
      if (!p.decode && p.s->req->prompt_logits) {
        p.all.resize(p.n * V);
        w.all_logits = true;
        w.all_out = p.all.data();
        w.want_logits = true;
      }
    }
    if (!work.empty()) run_step(m, work);

    for (std::size_t i = 0; i < plan.size(); ++i) {
      Planned& p = plan[i];
      Slot& s = *p.s;
      if (!work[i].error.empty()) {
        s.result.error = work[i].error;
        finish(s, done);
        continue;
      }
      ++rep.sequences;
      (p.decode ? rep.decode_tokens : rep.prefill_tokens) += p.n;
      if (!p.decode) {
        s.result.reprocessed += p.n;
        if (!p.all.empty()) s.result.prompt_logits.insert(s.result.prompt_logits.end(), p.all.begin(), p.all.end());
      }
      s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<std::ptrdiff_t>(p.n));
      if (!s.pending.empty()) continue;  // more prompt next step
      s.logits_valid = true;
      advance(s);
    }
  }
  rep.finished = done.size();
  for (auto& [fn, r] : done) {
    if (fn) fn(std::move(r));
  }
  return rep;
}

}  // namespace ossa::engine
