#include "engine/thread_pool.hpp"

#include <chrono>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ossa::engine {
namespace {

// How long an idle worker keeps polling for the next job before it sleeps. Long enough to
// bridge the serial parts of a decode step (norms, routing, sampling), short enough that an
// idle engine costs nothing.
constexpr auto kSpin = std::chrono::microseconds(1000);
// Chunks per thread: enough to even out a late start, few enough that per-chunk setup (an
// MXFP4 product permutes its activations once per call) stays negligible.
constexpr std::size_t kChunksPerThread = 4;
// open_ holds kOpen | generation while a job takes workers, 0 once its caller has closed it.
constexpr std::uint64_t kOpen = std::uint64_t{1} << 32;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::drain() {
  for (;;) {
    const std::size_t c = next_.fetch_add(1, std::memory_order_relaxed);
    if (c >= chunks_) return;
    const std::size_t b = c * chunk_, e = b + chunk_ < n_ ? b + chunk_ : n_;
    (*job_)(b, e);
  }
}

void ThreadPool::worker() {
  // Not a load: a job published before this thread got to run must still be taken.
  unsigned seen = 0;
  for (;;) {
    unsigned g = generation_.load(std::memory_order_acquire);
    if (g == seen) {
      const auto until = std::chrono::steady_clock::now() + kSpin;
      for (unsigned i = 1; (g = generation_.load(std::memory_order_acquire)) == seen; ++i) {
        cpu_relax();
        if (i % 64 == 0 && std::chrono::steady_clock::now() > until) break;
      }
      while (g == seen) {
        // Announce the sleep before the last look, so that a job published in between is
        // either seen here or followed by the caller's notify (both sides are seq_cst).
        sleeping_.fetch_add(1, std::memory_order_seq_cst);
        if (generation_.load(std::memory_order_seq_cst) == seen) generation_.wait(seen, std::memory_order_seq_cst);
        sleeping_.fetch_sub(1, std::memory_order_seq_cst);
        g = generation_.load(std::memory_order_acquire);
      }
    }
    seen = g;
    if (stop_.load(std::memory_order_acquire)) return;
    // Join the job only while it is open: the caller waits for the workers that joined, not
    // for one that a busy machine has not scheduled yet (that one finds the job closed).
    busy_.fetch_add(1, std::memory_order_seq_cst);
    if (open_.load(std::memory_order_seq_cst) == (kOpen | g)) drain();
    busy_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn,
                              std::size_t align) {
  if (n == 0) return;
  if (align == 0) align = 1;
  const std::size_t units = (n + align - 1) / align;
  const std::size_t max_chunks = kChunksPerThread * size();
  const std::size_t per_chunk = (units + max_chunks - 1) / max_chunks;  // in units of align
  const std::size_t chunks = (units + per_chunk - 1) / per_chunk;
  if (workers_.empty() || chunks < 2) {
    fn(0, n);
    return;
  }
  job_ = &fn;
  n_ = n;
  chunk_ = per_chunk * align;
  chunks_ = chunks;
  next_.store(0, std::memory_order_relaxed);
  const unsigned g = generation_.load(std::memory_order_relaxed) + 1;
  open_.store(kOpen | g, std::memory_order_seq_cst);
  generation_.store(g, std::memory_order_seq_cst);  // publishes the job (release)
  if (sleeping_.load(std::memory_order_seq_cst) != 0) generation_.notify_all();
  drain();
  open_.store(0, std::memory_order_seq_cst);
  // Wait for the workers that joined to finish their chunks; the job's fields are reused next.
  for (unsigned i = 1; busy_.load(std::memory_order_acquire) != 0; ++i) {
    if (i % 256 == 0) std::this_thread::yield();
    else cpu_relax();
  }
}

}  // namespace ossa::engine
