// `ossa sandbox`: run one command inside the sandbox, or report which layers this kernel allows.
//
//   ossa sandbox --check
//   ossa sandbox [--workspace DIR] [--ro PATH]... [--net none] [--timeout S] [--memory MiB]
//                [--pids N] [--max-output BYTES] [--env K=V]... [--allow-degraded] [--json]
//                -- CMD ARGS...
//
// The command's exit code is passed through (128 + signal when it was killed); --json prints
// the result record on stdout instead of the command's output.
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/cli/command.hpp"
#include "runtime/json_output.hpp"
#include "sandbox/sandbox.hpp"

namespace {

struct Options {
  bool check = false;
  std::string workspace;
  std::vector<std::string> read_only;
  std::string net = "none";
  double timeout_s = 30;
  double memory_mib = 1024;
  unsigned pids = 128;
  std::uint64_t max_output = 1 << 20;
  std::vector<std::string> env;
  bool allow_degraded = false;
  bool json = false;
  std::vector<std::string> command;
};

// JSON like every other command's machine output: {"ok", "layers": [{name, available,
// required, detail}]}; exit 1 when a required layer is missing.
int print_check() {
  bool ok = true;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& layer : ossa::sandbox::Sandbox::check()) {
    layers.push_back({{"name", layer.name},
                      {"available", layer.available},
                      {"required", layer.required},
                      {"detail", layer.detail}});
    ok &= layer.available || !layer.required;
  }
  ossa::out::print_json({{"ok", ok}, {"layers", layers}});
  return ok ? 0 : 1;
}

ossa::sandbox::Policy make_policy(const Options& o) {
  using ossa::cli::UsageError;
  ossa::sandbox::Policy p;
  if (!o.workspace.empty()) p.workspace = o.workspace;
  for (const auto& r : o.read_only) {
    if (r.empty() || r.front() != '/') throw UsageError("--ro needs an absolute path: " + r);
    p.read_only.emplace_back(r);
  }
  if (o.net != "none") throw UsageError("--net: only 'none' is supported");
  if (!(o.timeout_s >= 0) || o.timeout_s > 86400) throw UsageError("--timeout: 0..86400 seconds");
  if (!(o.memory_mib == 0 || (o.memory_mib >= 16 && o.memory_mib <= (1 << 24))))
    throw UsageError("--memory: 0 (no limit) or 16..16777216 MiB, as [sandbox] memory_mib");
  p.limits.wall_timeout = std::chrono::milliseconds(static_cast<long long>(std::llround(o.timeout_s * 1000)));
  p.limits.cpu_seconds = static_cast<unsigned>(std::ceil(o.timeout_s));
  p.limits.memory_bytes = static_cast<std::uint64_t>(o.memory_mib * 1024 * 1024);
  p.limits.max_processes = o.pids;
  p.limits.max_output_bytes = o.max_output;
  for (const auto& kv : o.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--env wants KEY=VALUE: " + kv);
    p.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  p.allow_degraded = o.allow_degraded;
  return p;
}

nlohmann::json to_json(const ossa::sandbox::Output& o) {
  const auto& r = o.result;
  nlohmann::json j;
  j["status"] = r.status();
  j["exit_code"] = r.signal > 0 ? nlohmann::json(nullptr) : nlohmann::json(r.exit_code);
  j["signal"] = r.signal > 0 ? nlohmann::json(r.signal) : nlohmann::json(nullptr);
  j["timed_out"] = r.timed_out;
  j["out_of_memory"] = r.out_of_memory;
  j["output_truncated"] = r.output_truncated;
  // The program's bytes are arbitrary; invalid UTF-8 is replaced rather than failing the dump.
  j["stdout"] = o.out;
  j["stderr"] = o.err;
  j["usage"] = {{"wall_ms", r.usage.wall.count() / 1000.0},
                {"user_cpu_ms", r.usage.user_cpu.count() / 1000.0},
                {"system_cpu_ms", r.usage.system_cpu.count() / 1000.0},
                {"max_rss_bytes", r.usage.max_rss_bytes}};
  return j;
}

int run(const Options& o) {
  if (o.check) return print_check();
  if (o.command.empty()) throw ossa::cli::UsageError("no command given (ossa sandbox -- CMD ARGS...)");
  ossa::sandbox::Policy policy = make_policy(o);
  ossa::sandbox::Output out;
  try {
    out = ossa::sandbox::Sandbox::run(policy, o.command);
  } catch (const ossa::sandbox::Error& e) {
    std::fprintf(stderr, "ossa: %s\n", e.what());
    return 1;
  }
  if (o.json) {
    std::string text = to_json(out).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::printf("%s\n", text.c_str());
  } else {
    std::fwrite(out.out.data(), 1, out.out.size(), stdout);
    std::fwrite(out.err.data(), 1, out.err.size(), stderr);
    const auto& r = out.result;
    if (r.timed_out) std::fprintf(stderr, "ossa: sandbox: timed out\n");
    if (r.out_of_memory) std::fprintf(stderr, "ossa: sandbox: out of memory\n");
    if (r.output_truncated) std::fprintf(stderr, "ossa: sandbox: output truncated\n");
  }
  std::fflush(stdout);
  return out.result.status();
}

ossa::cli::Run setup(CLI::App& cmd) {
  auto o = std::make_shared<Options>();
  cmd.add_flag("--check", o->check,
               "Print which isolation layers this kernel allows (JSON: ok, layers [{name, "
               "available, required, detail}]); exit 1 when a required one is missing");
  cmd.add_option("--workspace", o->workspace, "Host directory mounted read-write at /workspace");
  // One value per occurrence: a vector option would otherwise swallow the command after it.
  cmd.add_option("--ro", o->read_only, "Host path made visible read-only at the same path")
      ->allow_extra_args(false);
  cmd.add_option("--net", o->net, "Network: none (own namespace, loopback only)");
  cmd.add_option("--timeout", o->timeout_s, "Wall-clock limit in seconds (0: none)");
  cmd.add_option("--memory", o->memory_mib, "Memory limit in MiB (0: none)");
  cmd.add_option("--pids", o->pids, "Process limit (0: none)");
  cmd.add_option("--max-output", o->max_output, "Bytes of stdout+stderr kept");
  cmd.add_option("--env", o->env, "KEY=VALUE passed to the command (nothing else is)")
      ->allow_extra_args(false);
  cmd.add_flag("--allow-degraded", o->allow_degraded,
               "Run without Landlock/cgroups when missing (never without namespaces or seccomp)");
  cmd.add_flag("--json", o->json, "Print the result record as JSON on stdout");
  cmd.add_option("command", o->command, "The command and its arguments, after --");
  return [o] { return run(*o); };
}

}  // namespace

OSSA_CLI_COMMAND(sandbox, "Run a command in the sandbox, or --check which layers work", setup);
