#include "engine/sequence.hpp"

#include <algorithm>

namespace ossa::engine {

void run_step(ModelImpl& m, std::span<StepWork> work, const TraceFn* trace) {
  const std::size_t V = static_cast<std::size_t>(m.config.vocab_size), B = m.kv.block_tokens;
  std::vector<StepSequence> batch;
  std::vector<StepWork*> ran;
  for (auto& w : work) {
    if (w.tokens.empty()) continue;
    Sequence& s = *w.seq;
    try {
      s.kv.prepare(m.blocks, *m.backend, s.tokens.size(), w.tokens.size());
    } catch (const KvBudgetError& e) {
      w.error = e.what();
      s.kv.truncate(m.blocks, s.tokens.size());
      continue;
    }
    StepSequence ss;
    ss.tokens = w.tokens;
    ss.pos0 = s.tokens.size();
    ss.tables = &s.kv.tables();
    if (w.want_logits) {
      ss.all_logits = w.all_logits;
      if (w.all_logits) {
        ss.logits = w.all_out;
      } else {
        s.logits.resize(V);
        ss.logits = s.logits.data();
      }
    }
    batch.push_back(ss);
    ran.push_back(&w);
  }
  if (batch.empty()) return;
  m.backend->step(batch, trace);
  for (StepWork* w : ran) {
    Sequence& s = *w->seq;
    s.tokens.insert(s.tokens.end(), w->tokens.begin(), w->tokens.end());
    if (!w->want_logits) {
      s.logits.clear();
    } else if (w->all_logits) {
      s.logits.assign(w->all_out + (w->tokens.size() - 1) * V, w->all_out + w->tokens.size() * V);
    }
    if (s.use_prefix_cache) {
      while ((s.chain.size() + 1) * B <= s.tokens.size()) {
        const std::size_t b = s.chain.size();
        const EntryId parent = b ? s.chain[b - 1] : kRootEntry;
        const EntryId id = m.prefix.insert(parent, std::span(s.tokens).subspan(b * B, B), s.kv, b);
        if (id == kRootEntry) break;
        s.chain.push_back(id);
      }
    }
    s.kv.trim(m.blocks, s.tokens.size());
  }
}

void release(ModelImpl& m, Sequence& seq) {
  seq.kv.release_all(m.blocks);
  seq.tokens.clear();
  seq.chain.clear();
  seq.logits.clear();
}

std::size_t attach_prefix(ModelImpl& m, Sequence& seq, std::span<const std::int32_t> tokens) {
  if (!seq.tokens.empty() || tokens.empty() || !seq.use_prefix_cache) return 0;
  const std::size_t B = m.kv.block_tokens;
  // At least the last token is computed again: its logits are what the caller wants.
  auto match = m.prefix.lookup(tokens, tokens.size() - 1);
  m.prefix.attach(match, seq.kv);
  const std::size_t n = match.tokens(B);
  seq.tokens.assign(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(n));
  seq.chain = std::move(match.chain);
  return n;
}

namespace {
// Appends tokens in steps of at most kMaxStepTokens; logits only after the last.
void append_solo(ModelImpl& m, Sequence& seq, std::span<const std::int32_t> tokens) {
  for (std::size_t b = 0; b < tokens.size(); b += kMaxStepTokens) {
    const std::size_t n = std::min(kMaxStepTokens, tokens.size() - b);
    StepWork w;
    w.seq = &seq;
    w.tokens = tokens.subspan(b, n);
    w.want_logits = b + n == tokens.size();
    run_step(m, std::span(&w, 1));
    if (!w.error.empty()) throw KvBudgetError(w.error);
  }
}
}  // namespace

void rewind(ModelImpl& m, Sequence& seq, std::size_t n) {
  if (n >= seq.tokens.size()) return;
  if (n == 0) return release(m, seq);
  const std::size_t B = m.kv.block_tokens;
  if (seq.chain.size() > n / B) seq.chain.resize(n / B);
  seq.kv.truncate(m.blocks, n);
  seq.tokens.resize(n);
  std::vector<std::int32_t> redo;
  if (seq.kv.holds_window_before(n)) {
    // Re-running token n-1 (its rows are rewritten with the same values) restores the logits.
    redo.push_back(seq.tokens.back());
    seq.tokens.pop_back();
    append_solo(m, seq, redo);
    return;
  }
  redo = std::move(seq.tokens);
  release(m, seq);
  const std::size_t cached = attach_prefix(m, seq, redo);
  append_solo(m, seq, std::span(redo).subspan(cached));
}

void append(ModelImpl& m, Sequence& seq, std::span<const std::int32_t> tokens) { append_solo(m, seq, tokens); }

}  // namespace ossa::engine
