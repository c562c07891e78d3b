#pragma once
// Runs token generation off the event loop. The worker owns one thread and a FIFO of
// requests; each request generates a bounded chunk of tokens for one session and posts the
// chunk back to the session's executor. Sessions ask for one chunk at a time, so with several
// sessions active the worker alternates between them (round-robin in request order), and a
// session waiting for a tool simply has no request queued: it never stalls the others.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "runtime/token_source.hpp"

namespace ossa::runtime {

struct ChunkRequest {
  // Set on a round's first chunk: the context to establish before generating.
  std::optional<std::vector<TokenId>> prompt;
  int max_tokens = 16;                  // at most this many tokens in this chunk
  std::vector<TokenId> stop_tokens;     // generation stops after emitting one of these
  const std::atomic<bool>* cancel = nullptr;  // checked between tokens
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
  EngineWorker();
  ~EngineWorker();  // finishes the running request, drops the queued ones
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  // Queues a chunk for `source` and resumes the caller on its executor when it is done.
  // `source` must outlive the call.
  boost::asio::awaitable<Chunk> generate(TokenSource& source, ChunkRequest request);

  // For blocking work other than generation (not used by the loop itself).
  void post(std::function<void()> job);

 private:
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

// Runs one chunk on the calling thread (what the worker does for each request).
Chunk run_chunk(TokenSource& source, const ChunkRequest& request);

}  // namespace ossa::runtime
