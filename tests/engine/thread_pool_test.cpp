// The pool hands out every index exactly once, on aligned bounds, job after job (workers go
// from spinning to sleeping and back between them), and its destructor stops sleeping workers.
#include "engine/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace ossa::engine {
namespace {

void expect_exact_cover(ThreadPool& pool, std::size_t n, std::size_t align) {
  std::vector<std::atomic<int>> hits(n);
  std::atomic<bool> misaligned{false};
  pool.parallel_for(n, [&](std::size_t b, std::size_t e) {
    if (b % align != 0 || (e % align != 0 && e != n) || b >= e) misaligned = true;
    for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
  }, align);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " align=" << align << " i=" << i;
  EXPECT_FALSE(misaligned.load()) << "n=" << n << " align=" << align;
}

TEST(ThreadPool, CoversEveryIndexOnceOnAlignedBounds) {
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    ThreadPool pool(threads);
    for (std::size_t n : {1u, 2u, 7u, 8u, 9u, 64u, 1000u, 5760u})
      for (std::size_t align : {1u, 8u, 32u}) expect_exact_cover(pool, n, align);
  }
}

TEST(ThreadPool, ManyJobsInARowAndAfterWorkersFellAsleep) {
  ThreadPool pool(4);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 2000; ++i) expect_exact_cover(pool, 100 + static_cast<std::size_t>(i % 37), 1 + static_cast<std::size_t>(i % 3));
    // Longer than the workers' spin: they block on the futex and must be woken.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST(ThreadPool, WorkIsSharedAcrossThreads) {
  // Slow chunks: with four chunks per thread, more than one thread must take part.
  ThreadPool pool(2);
  std::mutex mu;
  std::set<std::thread::id> ids;
  for (int attempt = 0; attempt < 20 && ids.size() < 2; ++attempt) {
    pool.parallel_for(64, [&](std::size_t, std::size_t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
    });
  }
  EXPECT_EQ(ids.size(), 2u);
}

TEST(ThreadPool, DestructorStopsSleepingWorkers) {
  auto pool = std::make_unique<ThreadPool>(3);
  expect_exact_cover(*pool, 100, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  pool.reset();  // would hang if a sleeping worker missed the stop
  SUCCEED();
}

}  // namespace
}  // namespace ossa::engine
