#pragma once
// Continuous batching over many sequences of one Model. Each step is one forward pass over
// a batch that mixes decode tokens (one per generating sequence) and prefill chunks (long
// prompts split to fit the step's token budget), each sequence at its own position with its
// own KV blocks; experts group rows across all sequences, so weights are read once per step.
//
//   Scheduler sched(model);
//   SequenceId a = sched.open(sampling);               // a persistent sequence (KV kept)
//   sched.submit(a, {.prompt = ids, .max_tokens = 64}, [](Result r) { ... });
//   while (sched.busy()) sched.step();                 // `done` callbacks run inside step()
//
// Policy: requests are admitted in arrival order when the KV budget can hold their worst case
// (prompt + max_tokens); idle sequences give their blocks back first (their completed blocks
// stay in the prefix cache, so they come back cheaply). Every step first gives each decoding
// sequence its token, then fills the rest of the budget with prefill chunks in arrival order:
// a long prompt never stalls running decodes by more than one step. A new prompt starts on
// the longest prefix the prefix cache holds. A request that could never fit fails with a clear
// error; cancel() and close() take effect at the next step boundary, and every block a
// sequence held returns to the pool when it is closed.
//
// Not thread-safe: one thread drives a Scheduler (the runtime's EngineWorker). Several
// Schedulers (and Sessions) may share a Model.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/model.hpp"
#include "engine/sampler.hpp"

namespace ossa::engine {

using SequenceId = std::uint64_t;

struct SchedulerOptions {
  std::size_t max_step_tokens = 256;  // decode tokens + prefill chunk tokens per step
  bool prefix_cache = true;           // start prompts on cached prefixes, register new blocks
};

struct Request {
  // Makes the sequence's context exactly this before generating, keeping the longest common
  // prefix of what it holds (and whatever the prefix cache has) and computing only the rest.
  std::optional<std::vector<std::int32_t>> prompt;
  std::size_t max_tokens = 16;           // tokens to generate; 0 = only process the prompt
  std::vector<std::int32_t> stop_tokens;  // generation ends after emitting one of these
  bool prompt_logits = false;            // return the logits after every computed prompt token
};

struct Result {
  std::vector<std::int32_t> tokens;  // generated, a stop token included
  bool stopped = false;
  bool cancelled = false;
  std::size_t reprocessed = 0;  // prompt tokens computed
  std::size_t cached = 0;       // prompt tokens served by the prefix cache
  double queued_ms = 0;         // from submit to admission
  double first_token_ms = 0;    // from submit to the first generated token (or prompt done)
  double total_ms = 0;
  std::vector<float> prompt_logits;  // reprocessed x vocab, when asked
  std::string error;                 // the request failed (bad ids, context or KV budget)
};

struct StepReport {
  std::size_t sequences = 0;       // in the batch
  std::size_t decode_tokens = 0;   // one per generating sequence
  std::size_t prefill_tokens = 0;  // prompt tokens
  std::size_t finished = 0;        // requests completed by this step (callbacks run)
};

class Scheduler {
 public:
  explicit Scheduler(std::shared_ptr<const Model> model, const SchedulerOptions& options = {});
  ~Scheduler();  // releases every sequence's blocks; pending callbacks are not called
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  SequenceId open(const SamplingParams& sampling = {});
  // Ends the sequence: its request (if any) finishes cancelled, its blocks return to the pool.
  void close(SequenceId id);
  // Queues a request for an open sequence with no request in flight (else done gets an error).
  void submit(SequenceId id, Request request, std::function<void(Result)> done);
  // The sequence's request finishes, cancelled, at the next step boundary.
  void cancel(SequenceId id);

  bool busy() const;  // a request is queued or running
  // Admits what fits, runs one batched forward pass, samples, and calls the callbacks of the
  // requests it finished. Does nothing when not busy().
  StepReport step();

  // The sequence's context: computed tokens plus the ones it will compute next.
  std::vector<std::int32_t> context(SequenceId id) const;
  std::size_t sequences() const { return slots_.size(); }
  const Model& model() const { return *model_; }

 private:
  struct Slot;
  Slot& slot(SequenceId id) const;
  bool admit(Slot& s, std::size_t committed);
  std::size_t outstanding_blocks(const Slot& s) const;
  void set_context(Slot& s);
  void finish(Slot& s, std::vector<std::pair<std::function<void(Result)>, Result>>& out);
  void park(Slot& s);

  std::shared_ptr<const Model> model_;
  SchedulerOptions options_;
  std::map<SequenceId, std::unique_ptr<Slot>> slots_;
  std::vector<SequenceId> queue_;    // waiting for admission, in arrival order
  std::vector<SequenceId> running_;  // admitted, in admission order
  SequenceId next_id_ = 1;
};

}  // namespace ossa::engine
