// `ossa bench --model DIR [--prompt N] [--gen N] [--threads N] [--weights-q8 LIST] [--device D]
// [--map-weights]`: load
// time, prefill and decode speed, peak memory, and this machine's measured read bandwidth with
// the decode bound it implies (weight bytes one decode step must read / bandwidth), so each run
// states its own efficiency. With --weights-q8 it says which weights are 8-bit, the kernel path
// their products take, and counts them at their Q8 size in the bytes per token.
// `--sessions 1,2,4,8` also runs that many sequences at once through the batching scheduler
// (each its own prompt) and reports per-sequence and aggregate prefill/decode tok/s, and the
// aggregate decode speed relative to one sequence. `--shared-prefix N` measures the prefix
// cache: time to first token of a --prompt-token prompt cold, then of another prompt sharing
// its first N tokens.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/model.hpp"
#include "engine/scheduler.hpp"
#include "engine/sampler.hpp"
#include "engine/session.hpp"
#include "kernels/cpu/isa.hpp"
#include "kernels/cpu/matmul_q8.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/cli/token_ids.hpp"
#include "runtime/cli/load_model.hpp"
#include "runtime/config_flags.hpp"
#include "runtime/json_output.hpp"

namespace {
using Clock = std::chrono::steady_clock;

struct Options {
  std::string model;
  std::size_t prompt = 512;
  std::size_t gen = 64;
  unsigned threads = 0;
  std::string weights_q8;  // --weights-q8
  std::string device;      // --device
  std::uint64_t seed = 7;
  std::string sessions;        // comma-separated counts
  std::size_t shared_prefix = 0;
  std::uint64_t kv_memory_mib = 0;
  bool map_weights = false;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double peak_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) * 1024.0;  // Linux reports KiB
}

// Best of 5 passes of `threads` threads summing disjoint slices of a 512 MiB buffer (well
// beyond any cache), in bytes per second.
double read_bandwidth(unsigned threads) {
  const std::size_t n = (512u << 20) / sizeof(std::uint64_t);
  std::vector<std::uint64_t> buf(n);
  for (std::size_t i = 0; i < n; ++i) buf[i] = i;
  double best = 0.0;
  std::vector<std::uint64_t> sums(threads);
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = Clock::now();
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        const std::size_t b = n * t / threads, e = n * (t + 1) / threads;
        std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (std::size_t i = b; i + 4 <= e; i += 4) {
          s0 += buf[i];
          s1 += buf[i + 1];
          s2 += buf[i + 2];
          s3 += buf[i + 3];
        }
        sums[t] = s0 + s1 + s2 + s3;
      });
    }
    for (auto& th : ts) th.join();
    best = std::max(best, static_cast<double>(n * sizeof(std::uint64_t)) / seconds_since(t0));
  }
  volatile std::uint64_t sink = 0;
  for (auto s : sums) sink = sink + s;
  return best;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

std::vector<std::int32_t> pseudo_prompt(std::size_t n, std::uint64_t seed, int vocab) {
  std::vector<std::int32_t> prompt(n);
  std::uint64_t s = seed;
  for (auto& id : prompt) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    id = static_cast<std::int32_t>((s >> 33) % static_cast<std::uint64_t>(vocab));
  }
  return prompt;
}

// S sequences at once: all prompts submitted together, then greedy decoding. Aggregate decode
// speed counts only steps with no prefill in them (every sequence decoding).
nlohmann::json run_sessions(const std::shared_ptr<const ossa::engine::Model>& model, const Options& o, std::size_t S) {
  using namespace ossa::engine;
  model->clear_prefix_cache();
  Scheduler sched(model);
  std::vector<Result> results(S);
  for (std::size_t i = 0; i < S; ++i) {
    Request r;
    r.prompt = pseudo_prompt(o.prompt, o.seed + 1000 * (i + 1), model->config().vocab_size);
    r.max_tokens = o.gen;
    sched.submit(sched.open(), std::move(r), [&results, i](Result x) { results[i] = std::move(x); });
  }
  double decode_s = 0, mixed_s = 0;
  std::size_t decode_tokens = 0, steps = 0;
  const auto t0 = Clock::now();
  while (sched.busy()) {
    const auto ts = Clock::now();
    const auto rep = sched.step();
    const double dt = seconds_since(ts);
    ++steps;
    if (rep.prefill_tokens == 0 && rep.decode_tokens == S) {
      decode_s += dt;
      decode_tokens += rep.decode_tokens;
    } else {
      mixed_s += dt;
    }
  }
  const double wall = seconds_since(t0);
  nlohmann::json per = nlohmann::json::array();
  double prefill_tokens = 0;
  for (const auto& r : results) {
    if (!r.error.empty()) throw std::runtime_error("bench sequence failed: " + r.error);
    prefill_tokens += static_cast<double>(r.reprocessed);
    const double dec_ms = r.total_ms - r.first_token_ms;
    per.push_back({{"first_token_ms", r.first_token_ms},
                   {"prefill_tok_s", r.first_token_ms > 0 ? static_cast<double>(r.reprocessed) / (r.first_token_ms / 1e3) : 0.0},
                   {"decode_tok_s", dec_ms > 0 ? static_cast<double>(r.tokens.size() - 1) / (dec_ms / 1e3) : 0.0},
                   {"generated", r.tokens.size()}});
  }
  return {{"sessions", S},
          {"steps", steps},
          {"wall_s", wall},
          {"prefill_and_mixed_steps_s", mixed_s},
          {"aggregate_prefill_tok_s", mixed_s > 0 ? prefill_tokens / mixed_s : 0.0},
          {"decode_only_steps_s", decode_s},
          {"aggregate_decode_tok_s", decode_s > 0 ? static_cast<double>(decode_tokens) / decode_s : 0.0},
          {"per_sequence", per}};
}

// Time to first token of a prompt cold (empty prefix cache), then of a prompt that shares its
// first N tokens with it (served from the cache).
nlohmann::json run_shared_prefix(const std::shared_ptr<const ossa::engine::Model>& model, const Options& o) {
  using namespace ossa::engine;
  const int V = model->config().vocab_size;
  const auto shared = pseudo_prompt(o.shared_prefix, o.seed + 77, V);
  auto make = [&](std::uint64_t seed) {
    auto p = shared;
    auto tail = pseudo_prompt(o.prompt - o.shared_prefix, seed, V);
    p.insert(p.end(), tail.begin(), tail.end());
    return p;
  };
  auto ttft = [&](Scheduler& sched, std::vector<std::int32_t> prompt) {
    Request r;
    r.prompt = std::move(prompt);
    r.max_tokens = 1;
    Result res;
    sched.submit(sched.open(), std::move(r), [&](Result x) { res = std::move(x); });
    while (sched.busy()) sched.step();
    if (!res.error.empty()) throw std::runtime_error("bench sequence failed: " + res.error);
    return res;
  };
  model->clear_prefix_cache();
  Scheduler sched(model);
  const Result cold = ttft(sched, make(o.seed + 5));
  const Result warm = ttft(sched, make(o.seed + 6));
  return {{"prompt_tokens", o.prompt},
          {"shared_prefix_tokens", o.shared_prefix},
          {"cold_first_token_ms", cold.first_token_ms},
          {"cold_computed_tokens", cold.reprocessed},
          {"cached_first_token_ms", warm.first_token_ms},
          {"cached_tokens", warm.cached},
          {"cached_computed_tokens", warm.reprocessed},
          {"speedup", warm.first_token_ms > 0 ? cold.first_token_ms / warm.first_token_ms : 0.0}};
}

ossa::cli::Run setup(CLI::App& cmd) {
  auto opts = std::make_shared<Options>();
  cmd.add_option("--model", opts->model, "Checkpoint folder (default: $OSSA_MODEL, then the demo model)");
  cmd.add_option("--prompt", opts->prompt, "Prompt tokens (pseudo-random ids), 1..1048576")->check(CLI::Range(1.0, 1048576.0));
  cmd.add_option("--gen", opts->gen, "Tokens to decode (greedy), 0..1048576")->check(CLI::Range(0.0, 1048576.0));
  cmd.add_option("--threads", opts->threads, "Compute threads, 0..4096 (0 = the usable cores)")->check(CLI::Range(0.0, 4096.0));
  ossa::cli::add_weights_q8_option(cmd, opts->weights_q8);
  ossa::cli::add_device_option(cmd, opts->device);
  cmd.add_option("--seed", opts->seed, "Seed for the prompt ids, 0..2^64-1")->check(CLI::NonNegativeNumber);
  cmd.add_option("--sessions", opts->sessions, "Also run S sequences at once, e.g. 1,2,4,8 (batched steps)");
  cmd.add_option("--shared-prefix", opts->shared_prefix, "Also measure the prefix cache: first N prompt tokens shared, 0..1048576")->check(CLI::Range(0.0, 1048576.0));
  cmd.add_option("--kv-memory", opts->kv_memory_mib, "KV cache budget in MiB, 0..16777216 (0 = half the available memory)")->check(CLI::Range(0.0, 16777216.0));
  cmd.add_flag("--map-weights", opts->map_weights, ossa::runtime::kMapWeightsHelp);
  return [opts] {
    std::vector<std::size_t> session_counts;
    if (!opts->sessions.empty()) {
      for (auto v : ossa::cli::parse_token_ids(opts->sessions, "--sessions")) {
        if (v <= 0) throw ossa::cli::UsageError("--sessions: counts must be positive");
        session_counts.push_back(static_cast<std::size_t>(v));
      }
    }
    if (opts->shared_prefix >= opts->prompt && opts->shared_prefix > 0) {
      throw ossa::cli::UsageError("--shared-prefix must be smaller than --prompt");
    }
    auto t0 = Clock::now();
    const auto device = ossa::cli::device(opts->device);
    auto model = ossa::cli::load_model(ossa::cli::model_dir(opts->model), opts->threads, opts->kv_memory_mib << 20,
                                       ossa::cli::weights_q8(opts->weights_q8), device, opts->map_weights);
    const double load_s = seconds_since(t0);
    // Page the weights in before timing, so prefill measures compute, not the disk.
    t0 = Clock::now();
    const auto touched = model->prefetch();
    const double page_in_s = seconds_since(t0);
    const auto& c = model->config();

    // The single-session figures; skipped when batched or prefix-cache runs are asked for
    // (their one-sequence run gives the same numbers, and a big model's prefill is slow).
    const bool single = session_counts.empty() && opts->shared_prefix == 0;
    double prefill_s = 0, decode_s = 0;
    std::vector<double> steps;
    if (single) {
      const auto prompt = pseudo_prompt(opts->prompt, opts->seed, c.vocab_size);
      ossa::engine::Session session(model);
      t0 = Clock::now();
      session.append(prompt);
      prefill_s = seconds_since(t0);
      ossa::engine::Sampler greedy;
      t0 = Clock::now();
      for (std::size_t i = 0; i < opts->gen; ++i) {
        auto ts = Clock::now();
        std::int32_t next = greedy.sample(session.logits());
        session.append({&next, 1});
        steps.push_back(seconds_since(ts));
      }
      decode_s = seconds_since(t0);
    }
    const double rss = peak_rss_bytes();

    const double bw = read_bandwidth(model->threads());
    const double bytes_per_token = static_cast<double>(model->bytes_read_per_token());
    const double bound_tok_s = bw / bytes_per_token;
    const double med = median(steps);
    const double decode_tok_s = med > 0 ? 1.0 / med : 0.0;
    nlohmann::json out = {
        {"model", opts->model},
        {"threads", model->threads()},
        {"device", model->device_note()},
        {"prompt_tokens", opts->prompt},
        {"gen_tokens", opts->gen},
        {"load_s", load_s},
        {"page_in_s", page_in_s},
        {"page_in_bytes", touched},
        {"isa", ossa::kernels::isa_name(ossa::kernels::active_isa())},
        {"weights_q8", model->weights_q8().names()},
        {"weights_memory", model->weights_note()},
        {"prefill_s", prefill_s},
        {"prefill_tok_s", prefill_s > 0 ? static_cast<double>(opts->prompt) / prefill_s : 0.0},
        {"decode_s", decode_s},
        {"decode_tok_s_mean", decode_s > 0 ? static_cast<double>(opts->gen) / decode_s : 0.0},
        {"decode_tok_s_median", decode_tok_s},
        {"peak_rss_bytes", rss},
        {"weight_bytes", model->weight_bytes()},
        {"read_bandwidth_bytes_s", bw},
        {"bytes_read_per_token", bytes_per_token},
        {"decode_bound_s_per_token", bytes_per_token / bw},
        {"decode_bound_tok_s", bound_tok_s},
        {"decode_efficiency", bound_tok_s > 0 ? decode_tok_s / bound_tok_s : 0.0}};
    if (model->weights_q8().any()) {
      out["q8_path"] = ossa::kernels::q8_path_name();
      out["q8_bytes"] = model->q8_bytes();
    }
    if (!session_counts.empty()) {
      nlohmann::json runs = nlohmann::json::array();
      double one = 0;
      for (std::size_t S : session_counts) {
        auto r = run_sessions(model, *opts, S);
        if (S == 1) one = r["aggregate_decode_tok_s"].get<double>();
        runs.push_back(std::move(r));
      }
      if (one > 0) {
        for (auto& r : runs) r["decode_speedup_vs_1"] = r["aggregate_decode_tok_s"].get<double>() / one;
      }
      out["batched"] = std::move(runs);
    }
    if (opts->shared_prefix > 0) out["prefix_cache"] = run_shared_prefix(model, *opts);
    double load1 = 0;
    if (std::ifstream la("/proc/loadavg"); la >> load1) out["load_average_1m"] = load1;
    ossa::out::print_json(out);
    return 0;
  };
}
}  // namespace

OSSA_CLI_COMMAND(bench, "Measure load, prefill and decode speed against this machine's memory bandwidth", setup);
