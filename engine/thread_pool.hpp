#pragma once
// A fixed set of worker threads running one parallel_for at a time. The calling thread works
// too, so a pool of n threads starts n-1 workers. Not reentrant: callers serialise (the Model
// holds a mutex around each forward pass).
//
// A decode step is hundreds of short products (a few to a few hundred microseconds each), so
// what a parallel_for costs beyond its work matters:
//   - workers spin for a while after each job before sleeping, so the next job of the same
//     step starts without a futex wake-up (tens of microseconds on a virtual machine);
//   - work is handed out in chunks from a shared counter, so a worker that starts late (or a
//     core that a neighbour process took) does less, instead of the whole step waiting for it.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace ossa::engine {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }
  // Runs fn(begin, end) over disjoint ranges that cover [0, n) exactly once, on the pool's
  // threads and the caller's; returns when all are done. Range bounds are multiples of
  // `align` (except n itself). A range is never split finer than what keeps every thread
  // busy: about four chunks per thread.
  void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn,
                    std::size_t align = 1);

 private:
  void worker();
  // Takes chunks of the current job until none is left.
  void drain();

  std::vector<std::thread> workers_;
  // The job: published before generation_ is bumped (release), read after it is seen (acquire).
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::size_t n_ = 0, chunk_ = 1, chunks_ = 0;
  std::atomic<std::size_t> next_{0};      // next chunk to take
  std::atomic<unsigned> busy_{0};         // workers inside a job (joined, not yet left)
  std::atomic<std::uint64_t> open_{0};    // which job workers may join (see the .cpp)
  std::atomic<unsigned> generation_{0};   // bumped per job; workers wait on it (a futex word)
  std::atomic<unsigned> sleeping_{0};     // workers blocked in generation_.wait
  std::atomic<bool> stop_{false};
};

}  // namespace ossa::engine
