#include "runtime/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>

namespace ossa::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_write_mutex;

const char* tag(Level l) {
  switch (l) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: break;
  }
  return "";
}
}  // namespace

void set_level(Level l) { g_level.store(l, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view name, Level& out) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {
      {"trace", Level::trace}, {"debug", Level::debug}, {"info", Level::info},
      {"warn", Level::warn},   {"warning", Level::warn}, {"error", Level::error},
      {"off", Level::off},     {"quiet", Level::off}};
  for (const auto& [n, l] : kNames)
    if (n == name) {
      out = l;
      return true;
    }
  return false;
}

void init_from_env() {
  if (const char* v = std::getenv("OSSA_LOG")) {
    Level l;
    if (parse_level(v, l)) set_level(l);
  }
}

void write(Level l, std::string_view message) {
  std::string line = "ossa: ";
  line += tag(l);
  line += ": ";
  line += message;
  line += '\n';
  // One write(2) per line keeps lines whole even when other processes share stderr.
  std::lock_guard lock(g_write_mutex);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::string describe(const std::exception& e) {
  if (const auto* se = dynamic_cast<const std::system_error*>(&e))
    if (se->code() == std::errc::resource_unavailable_try_again)
      return std::string("cannot start a thread or process: a system limit is reached (the "
                         "user's process limit, ulimit -u, or the cgroup's pids.max); close "
                         "other programs or raise the limit (") +
             e.what() + ")";
  return e.what();
}

}  // namespace ossa::log
