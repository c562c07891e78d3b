#include "runtime/server/metrics.hpp"

#include <cstdio>

namespace ossa::server {

namespace {
std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
// Label values escaped as the text format asks (backslash, quote, newline).
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  std::uint64_t need = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    acc += counts_[i];
    if (acc >= need) return bounds_[i];
  }
  return bounds_.empty() ? 0 : bounds_.back();
}

void Histogram::render(std::string& out, const std::string& name) const {
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    acc += counts_[i];
    out += name + "_bucket{le=\"" + num(bounds_[i]) + "\"} " + std::to_string(acc) + "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name + "_sum " + num(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : ttft_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      tpot_({0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}),
      overhead_({1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 1e-2}) {}

void Metrics::request(const std::string& route, int status) {
  std::lock_guard lk(mu_);
  ++requests_[{route, status}];
}
void Metrics::tokens(int prompt, int cached, int generated) {
  std::lock_guard lk(mu_);
  prompt_ += static_cast<std::uint64_t>(prompt);
  cached_ += static_cast<std::uint64_t>(cached);
  generated_ += static_cast<std::uint64_t>(generated);
}
void Metrics::time_to_first_token(double s) {
  std::lock_guard lk(mu_);
  ttft_.observe(s);
}
void Metrics::time_per_output_token(double s) {
  std::lock_guard lk(mu_);
  tpot_.observe(s);
}
void Metrics::overhead_per_token(double s) {
  std::lock_guard lk(mu_);
  overhead_.observe(s);
}
void Metrics::tool_call(const std::string& tool, const std::string& outcome) {
  std::lock_guard lk(mu_);
  ++tool_calls_[{tool, outcome}];
}
void Metrics::set_gauges(int queued, int running, std::int64_t kv_tokens, int slots) {
  std::lock_guard lk(mu_);
  queued_ = queued;
  running_ = running;
  kv_tokens_ = kv_tokens;
  slots_ = slots;
}

std::string Metrics::render(double io_cpu_seconds) const {
  std::lock_guard lk(mu_);
  std::string o;
  o += "# HELP ossa_http_requests_total HTTP requests by route and status code.\n"
       "# TYPE ossa_http_requests_total counter\n";
  for (const auto& [k, v] : requests_)
    o += "ossa_http_requests_total{route=\"" + label(k.first) + "\",code=\"" +
         std::to_string(k.second) + "\"} " + std::to_string(v) + "\n";
  o += "# HELP ossa_prompt_tokens_total Prompt tokens of generation rounds.\n"
       "# TYPE ossa_prompt_tokens_total counter\nossa_prompt_tokens_total " +
       std::to_string(prompt_) + "\n";
  o += "# HELP ossa_prompt_cached_tokens_total Prompt tokens reused from a session's KV cache "
       "(prefix-cache hits).\n# TYPE ossa_prompt_cached_tokens_total counter\n"
       "ossa_prompt_cached_tokens_total " + std::to_string(cached_) + "\n";
  o += "# HELP ossa_generated_tokens_total Tokens generated.\n"
       "# TYPE ossa_generated_tokens_total counter\nossa_generated_tokens_total " +
       std::to_string(generated_) + "\n";
  o += "# HELP ossa_time_to_first_token_seconds From request to first generated token.\n"
       "# TYPE ossa_time_to_first_token_seconds histogram\n";
  ttft_.render(o, "ossa_time_to_first_token_seconds");
  o += "# HELP ossa_time_per_output_token_seconds Generation time per token after the first.\n"
       "# TYPE ossa_time_per_output_token_seconds histogram\n";
  tpot_.render(o, "ossa_time_per_output_token_seconds");
  o += "# HELP ossa_server_overhead_per_token_seconds Server time per streamed token outside "
       "the engine (parse, encode, write).\n"
       "# TYPE ossa_server_overhead_per_token_seconds histogram\n";
  overhead_.render(o, "ossa_server_overhead_per_token_seconds");
  o += "# HELP ossa_server_io_cpu_seconds_total CPU time of the server's event-loop thread.\n"
       "# TYPE ossa_server_io_cpu_seconds_total counter\nossa_server_io_cpu_seconds_total " +
       num(io_cpu_seconds) + "\n";
  o += "# HELP ossa_queue_depth Requests waiting for a generation slot.\n"
       "# TYPE ossa_queue_depth gauge\nossa_queue_depth " + std::to_string(queued_) + "\n";
  o += "# HELP ossa_running_sequences Requests generating now.\n"
       "# TYPE ossa_running_sequences gauge\nossa_running_sequences " +
       std::to_string(running_) + "\n";
  o += "# HELP ossa_generation_slots Sessions (KV caches) the server keeps.\n"
       "# TYPE ossa_generation_slots gauge\nossa_generation_slots " + std::to_string(slots_) + "\n";
  o += "# HELP ossa_kv_tokens Tokens held in the slots' KV caches.\n"
       "# TYPE ossa_kv_tokens gauge\nossa_kv_tokens " + std::to_string(kv_tokens_) + "\n";
  o += "# HELP ossa_tool_calls_total Server-side tool calls by tool and outcome.\n"
       "# TYPE ossa_tool_calls_total counter\n";
  for (const auto& [k, v] : tool_calls_)
    o += "ossa_tool_calls_total{tool=\"" + label(k.first) + "\",outcome=\"" + label(k.second) +
         "\"} " + std::to_string(v) + "\n";
  return o;
}

}  // namespace ossa::server
