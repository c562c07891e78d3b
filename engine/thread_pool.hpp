#pragma once
// A fixed set of worker threads running one parallel_for at a time. The calling thread works
// too, so a pool of n threads starts n-1 workers. Not reentrant: callers serialise (the Model
// holds a mutex around each forward pass).
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
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
  // Splits [0, n) into at most size() contiguous ranges and runs fn(begin, end) on each;
  // returns when all are done. Ranges are aligned to `align` items where n allows.
  void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn,
                    std::size_t align = 1);

 private:
  void worker(unsigned index);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::vector<std::pair<std::size_t, std::size_t>> ranges_;
  std::size_t generation_ = 0;
  unsigned pending_ = 0;
  bool stop_ = false;
};

}  // namespace ossa::engine
