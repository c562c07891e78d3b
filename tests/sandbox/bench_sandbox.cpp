// Spawn-to-exit latency of `true` and `python3 -c pass`: the full sandbox against plain
// fork/exec and against bubblewrap (`bwrap --unshare-all`, skipped when not installed).
// Real time: the parent barely uses CPU while it waits.
//   build/<dir>/tests/sandbox/ossa_bench_sandbox --benchmark_repetitions=5
//     --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "sandbox/sandbox.hpp"

extern char** environ;

namespace {

const std::vector<std::string> kTrue = {"/bin/true"};
const std::vector<std::string> kPython = {"/usr/bin/python3", "-c", "pass"};

int spawn_and_wait(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  if (::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

void plain(benchmark::State& state, const std::vector<std::string>& argv) {
  for (auto _ : state) {
    if (spawn_and_wait(argv) != 0) state.SkipWithError("command failed");
  }
}

void sandboxed(benchmark::State& state, const std::vector<std::string>& argv) {
  ossa::sandbox::Policy policy;
  policy.allow_degraded = true;  // measure whatever this kernel allows
  for (auto _ : state) {
    auto out = ossa::sandbox::Sandbox::run(policy, argv);
    if (out.result.status() != 0) state.SkipWithError(out.err.c_str());
  }
}

void bubblewrap(benchmark::State& state, const std::vector<std::string>& argv) {
  if (::access("/usr/bin/bwrap", X_OK) != 0) {
    state.SkipWithError("bwrap not installed");
    return;
  }
  std::vector<std::string> full = {"/usr/bin/bwrap", "--unshare-all", "--die-with-parent",
                                   "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
                                   "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64",
                                   "/lib64", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"};
  full.insert(full.end(), argv.begin(), argv.end());
  for (auto _ : state) {
    if (spawn_and_wait(full) != 0) state.SkipWithError("bwrap failed");
  }
}

BENCHMARK_CAPTURE(plain, true, kTrue)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK_CAPTURE(sandboxed, true, kTrue)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK_CAPTURE(bubblewrap, true, kTrue)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK_CAPTURE(plain, python, kPython)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK_CAPTURE(sandboxed, python, kPython)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK_CAPTURE(bubblewrap, python, kPython)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
