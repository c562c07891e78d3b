#pragma once
// The server's Prometheus metrics (GET /metrics, text format 0.0.4): requests by route and
// status, prompt / cached / generated tokens, time to first token, time per output token, the
// server's own overhead per streamed token, queue depth, running sequences, KV tokens held by
// the session pool, tool calls by tool and outcome.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ossa::server {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // Lines for `name` (bucket, sum, count).
  void render(std::string& out, const std::string& name) const;
  std::uint64_t count() const { return count_; }
  // The smallest bucket bound under which `q` of the observations fall (an upper estimate).
  double quantile(double q) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void request(const std::string& route, int status);
  void tokens(int prompt, int cached, int generated);
  void time_to_first_token(double seconds);
  void time_per_output_token(double seconds);
  void overhead_per_token(double seconds);
  void tool_call(const std::string& tool, const std::string& outcome);
  void set_gauges(int queued, int running, std::int64_t kv_tokens, int slots);
  // `io_cpu_seconds`: CPU time of the server's event-loop thread so far (all HTTP, mapping,
  // parsing and encoding work happens there; the engine runs on its own threads).
  std::string render(double io_cpu_seconds = 0) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> tool_calls_;
  std::uint64_t prompt_ = 0, cached_ = 0, generated_ = 0;
  Histogram ttft_, tpot_, overhead_;
  int queued_ = 0, running_ = 0, slots_ = 0;
  std::int64_t kv_tokens_ = 0;
};

}  // namespace ossa::server
