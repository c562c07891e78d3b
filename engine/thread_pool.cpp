#include "engine/thread_pool.hpp"

namespace ossa::engine {

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker(unsigned index) {
  std::size_t seen = 0;
  for (;;) {
    const std::function<void(std::size_t, std::size_t)>* job;
    std::pair<std::size_t, std::size_t> range;
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      range = ranges_[index];
    }
    if (range.first < range.second) (*job)(range.first, range.second);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn,
                              std::size_t align) {
  if (n == 0) return;
  const unsigned parts = size();
  if (parts == 1 || n < 2) {
    fn(0, n);
    return;
  }
  if (align == 0) align = 1;
  std::size_t units = (n + align - 1) / align;
  std::vector<std::pair<std::size_t, std::size_t>> ranges(parts);
  for (unsigned p = 0; p < parts; ++p) {
    std::size_t b = units * p / parts * align, e = units * (p + 1) / parts * align;
    ranges[p] = {b < n ? b : n, e < n ? e : n};
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    ranges_ = ranges;
    pending_ = parts - 1;
    ++generation_;
  }
  start_cv_.notify_all();
  if (ranges[0].first < ranges[0].second) fn(ranges[0].first, ranges[0].second);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
}

}  // namespace ossa::engine
