#pragma once
// The generation slots: a fixed number of token sources (each an engine session with its own
// KV cache) shared by all requests, and the queue of requests waiting for one.
//
// A request takes the free slot whose cached context shares the longest prefix with its prompt
// (a follow-up turn of a conversation reuses its KV cache instead of prefilling again), waits
// when all are busy, and is refused (the server answers 429) when max_queue are already
// waiting. Used from the server's event-loop thread only.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "runtime/server/generation_request.hpp"
#include "runtime/token_source.hpp"

namespace ossa::server {

// Makes token sources and applies a request's sampling settings to one.
class SourceFactory {
 public:
  virtual ~SourceFactory() = default;
  virtual std::unique_ptr<runtime::TokenSource> make() = 0;
  virtual void configure(runtime::TokenSource& source, const SamplingOptions& sampling) = 0;
};

class SlotPool {
 public:
  struct Slot {
    std::unique_ptr<runtime::TokenSource> source;
    std::vector<runtime::TokenId> context;  // what the source holds after its last use
    bool busy = false;
  };

  // Returns the slot on destruction.
  class Lease {
   public:
    Lease() = default;
    Lease(SlotPool* pool, Slot* slot) : pool_(pool), slot_(slot) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), slot_(o.slot_) { o.slot_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Slot* operator->() const { return slot_; }
    explicit operator bool() const { return slot_ != nullptr; }

   private:
    SlotPool* pool_ = nullptr;
    Slot* slot_ = nullptr;
  };

  SlotPool(SourceFactory& factory, int slots, int max_queue);

  // True when a request would be refused now (all slots busy, queue full).
  bool full() const;
  // A slot for `prompt`; waits in FIFO order while all are busy. Check full() first.
  boost::asio::awaitable<Lease> acquire(const std::vector<runtime::TokenId>& prompt);

  int queued() const { return static_cast<int>(waiters_.size()); }
  int running() const;
  int slots() const { return static_cast<int>(slots_.size()); }
  std::int64_t kv_tokens() const;
  SourceFactory& factory() { return *factory_; }
  // Called whenever queue or running counts change (metrics gauges).
  std::function<void()> on_change;

 private:
  struct Waiter {
    explicit Waiter(boost::asio::any_io_executor ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    Slot* slot = nullptr;
  };
  void release(Slot* slot);
  Slot* best_free(const std::vector<runtime::TokenId>& prompt);
  void changed() const;

  SourceFactory* factory_;
  std::vector<std::unique_ptr<Slot>> slots_;
  int max_queue_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace ossa::server
