// Per-call cost of a python cell: a warm persistent interpreter (`1+1` in a live session)
// against a cold sandboxed `/usr/bin/python3 -c 1+1` spawn, both under the full sandbox.
//   build/<dir>/tests/tools/ossa_bench_tools --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>

#include "sandbox/sandbox.hpp"
#include "tools/exec/sandboxed_run.hpp"
#include "tools/python/interpreter.hpp"

namespace {

template <class T>
T await(boost::asio::io_context& io, boost::asio::awaitable<T> a) {
  auto fut = boost::asio::co_spawn(io, std::move(a), boost::asio::use_future);
  io.restart();
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready && io.run_one()) {
  }
  return fut.get();
}

ossa::sandbox::Policy policy() {
  ossa::tools::ToolContext ctx;
  ctx.workspace = std::filesystem::temp_directory_path();
  return ossa::tools::exec_policy(ctx);
}

void BM_WarmCell(benchmark::State& state) {
  boost::asio::io_context io;
  ossa::tools::PythonInterpreter interp(io, policy());
  await(io, interp.run("0", std::chrono::seconds(30), 4096));  // start it outside the timing
  for (auto _ : state) {
    auto r = await(io, interp.run("1+1", std::chrono::seconds(30), 4096));
    if (r.output != "2\n") state.SkipWithError("unexpected output");
  }
}
BENCHMARK(BM_WarmCell)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ColdSandboxedSpawn(benchmark::State& state) {
  boost::asio::io_context io;
  auto p = policy();
  for (auto _ : state) {
    auto r = await(io, ossa::tools::run_sandboxed(io, p, {"/usr/bin/python3", "-c", "print(1+1)"}, {}, 4096));
    if (r.out.text != "2\n") state.SkipWithError("unexpected output");
  }
}
BENCHMARK(BM_ColdSandboxedSpawn)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
