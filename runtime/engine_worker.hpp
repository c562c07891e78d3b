#pragma once
// Runs token generation off the event loop, on one thread. Each request generates a bounded
// chunk of tokens for one session and posts the chunk back to the session's executor.
//
// Requests for engine-backed sources (EngineTokenSource) go to an engine::Scheduler per model:
// every session's chunk runs in the same batched steps (continuous batching), prompts are
// chunked so they never stall other sessions' decoding, and each session keeps its sequence
// (its KV cache) between chunks and rounds. Other sources (scripted ones in tests) run one
// chunk at a time between steps (run_chunk). A session waiting for a tool has no request
// queued and costs nothing.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/scheduler.hpp"
#include "runtime/token_source.hpp"

namespace ossa::runtime {

class EngineTokenSource;

struct ChunkRequest {
  // Set on a round's first chunk: the context to establish before generating.
  std::optional<std::vector<TokenId>> prompt;
  int max_tokens = 16;                  // at most this many tokens in this chunk
  std::vector<TokenId> stop_tokens;     // generation stops after emitting one of these
  const std::atomic<bool>* cancel = nullptr;  // checked between tokens (between steps)
};

struct Chunk {
  std::vector<TokenId> tokens;
  bool stopped = false;        // the last token is a stop token
  bool source_ended = false;   // the source had nothing more
  std::size_t reprocessed = 0; // tokens processed by set_context (prompt chunks only)
  double prefill_ms = 0;
  double decode_ms = 0;
  std::string error;           // the backend threw (message); tokens before it are kept
};

class EngineWorker {
 public:
  explicit EngineWorker(const engine::SchedulerOptions& options = {});
  ~EngineWorker();  // finishes the running step, drops the queued requests
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  // Queues a chunk for `source` and resumes the caller on its executor when it is done.
  // `source` must outlive the call.
  boost::asio::awaitable<Chunk> generate(TokenSource& source, ChunkRequest request);

  // For blocking work other than generation (not used by the loop itself).
  void post(std::function<void()> job);

  // Sequences open in the worker's schedulers (one per engine source it has served).
  std::size_t sequences() const;

 private:
  struct Item {
    std::function<void()> job;                // a plain job, or
    EngineTokenSource* source = nullptr;      // an engine request (done set) or a close (done empty)
    ChunkRequest request;
    std::function<void(Chunk)> done;
  };
  struct Mailbox {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Item> items;
    bool stopping = false;
  };
  struct Served {
    engine::Scheduler* scheduler = nullptr;
    engine::SequenceId id = 0;
    const std::atomic<bool>* cancel = nullptr;  // of the request in flight
  };

  void enqueue(Item item);
  void loop();
  void handle(Item& item);
  bool busy() const;

  engine::SchedulerOptions options_;
  std::shared_ptr<Mailbox> mailbox_;
  // Worker thread only.
  std::map<const engine::Model*, std::unique_ptr<engine::Scheduler>> schedulers_;
  std::map<EngineTokenSource*, Served> served_;
  mutable std::mutex count_mu_;
  std::size_t open_sequences_ = 0;
  std::thread thread_;
};

// Runs one chunk on the calling thread (what the worker does for a source that is not
// engine-backed).
Chunk run_chunk(TokenSource& source, const ChunkRequest& request);

}  // namespace ossa::runtime
