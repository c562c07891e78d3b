// What one parallel_for costs beyond its work, the thread pool's share of a decode step (a
// step of gpt-oss-20b runs about 300 of them): an empty job split over every thread, back to
// back (workers spinning) and after a pause long enough for them to sleep (a futex wake-up).
#include <benchmark/benchmark.h>

#include <chrono>
#include <thread>

#include "engine/thread_pool.hpp"

namespace {

void BM_ParallelForBackToBack(benchmark::State& state) {
  ossa::engine::ThreadPool pool(static_cast<unsigned>(state.range(0)));
  for (auto _ : state) {
    pool.parallel_for(1024, [](std::size_t b, std::size_t e) { benchmark::DoNotOptimize(b + e); });
  }
}

void BM_ParallelForAfterSleep(benchmark::State& state) {
  ossa::engine::ThreadPool pool(static_cast<unsigned>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    state.ResumeTiming();
    pool.parallel_for(1024, [](std::size_t b, std::size_t e) { benchmark::DoNotOptimize(b + e); });
  }
}

}  // namespace

BENCHMARK(BM_ParallelForBackToBack)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ParallelForAfterSleep)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime()->Iterations(200);
BENCHMARK_MAIN();
