// `ossa bench --model DIR [--prompt N] [--gen N] [--threads N]`: load time, prefill and decode
// speed, peak memory, and this machine's measured read bandwidth with the decode bound it
// implies (weight bytes one decode step must read / bandwidth), so each run states its own
// efficiency.
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
#include "engine/sampler.hpp"
#include "engine/session.hpp"
#include "kernels/cpu/isa.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/cli/load_model.hpp"
#include "runtime/json_output.hpp"

namespace {
using Clock = std::chrono::steady_clock;

struct Options {
  std::string model;
  std::size_t prompt = 512;
  std::size_t gen = 64;
  unsigned threads = 0;
  std::uint64_t seed = 7;
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

ossa::cli::Run setup(CLI::App& cmd) {
  auto opts = std::make_shared<Options>();
  cmd.add_option("--model", opts->model, "Checkpoint folder")->required();
  cmd.add_option("--prompt", opts->prompt, "Prompt tokens (pseudo-random ids)")->check(CLI::PositiveNumber);
  cmd.add_option("--gen", opts->gen, "Tokens to decode (greedy)");
  cmd.add_option("--threads", opts->threads, "Compute threads (default: cores)");
  cmd.add_option("--seed", opts->seed, "Seed for the prompt ids");
  return [opts] {
    auto t0 = Clock::now();
    auto model = ossa::cli::load_model(opts->model, opts->threads);
    const double load_s = seconds_since(t0);
    // Page the weights in before timing, so prefill measures compute, not the disk.
    t0 = Clock::now();
    const auto touched = model->prefetch();
    const double page_in_s = seconds_since(t0);
    const auto& c = model->config();

    std::vector<std::int32_t> prompt(opts->prompt);
    std::uint64_t s = opts->seed;
    for (auto& id : prompt) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      id = static_cast<std::int32_t>((s >> 33) % static_cast<std::uint64_t>(c.vocab_size));
    }
    ossa::engine::Session session(model);
    t0 = Clock::now();
    session.append(prompt);
    const double prefill_s = seconds_since(t0);

    ossa::engine::Sampler greedy;
    std::vector<double> steps;
    t0 = Clock::now();
    for (std::size_t i = 0; i < opts->gen; ++i) {
      auto ts = Clock::now();
      std::int32_t next = greedy.sample(session.logits());
      session.append({&next, 1});
      steps.push_back(seconds_since(ts));
    }
    const double decode_s = seconds_since(t0);
    const double rss = peak_rss_bytes();

    const double bw = read_bandwidth(model->threads());
    const double bytes_per_token = static_cast<double>(model->bytes_read_per_token());
    const double bound_tok_s = bw / bytes_per_token;
    const double med = median(steps);
    const double decode_tok_s = med > 0 ? 1.0 / med : 0.0;
    nlohmann::json out = {
        {"model", opts->model},
        {"threads", model->threads()},
        {"prompt_tokens", opts->prompt},
        {"gen_tokens", opts->gen},
        {"load_s", load_s},
        {"page_in_s", page_in_s},
        {"page_in_bytes", touched},
        {"isa", ossa::kernels::isa_name(ossa::kernels::active_isa())},
        {"prefill_s", prefill_s},
        {"prefill_tok_s", static_cast<double>(opts->prompt) / prefill_s},
        {"decode_s", decode_s},
        {"decode_tok_s_mean", opts->gen ? static_cast<double>(opts->gen) / decode_s : 0.0},
        {"decode_tok_s_median", decode_tok_s},
        {"peak_rss_bytes", rss},
        {"weight_bytes", model->weight_bytes()},
        {"read_bandwidth_bytes_s", bw},
        {"bytes_read_per_token", bytes_per_token},
        {"decode_bound_s_per_token", bytes_per_token / bw},
        {"decode_bound_tok_s", bound_tok_s},
        {"decode_efficiency", bound_tok_s > 0 ? decode_tok_s / bound_tok_s : 0.0}};
    ossa::out::print_json(out);
    return 0;
  };
}
}  // namespace

OSSA_CLI_COMMAND(bench, "Measure load, prefill and decode speed against this machine's memory bandwidth", setup);
