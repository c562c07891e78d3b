#pragma once
// Leveled logging to stderr. stdout is reserved for machine-readable output (JSON), so nothing
// here ever writes there. The level comes from -v/-q on the command line or OSSA_LOG
// (trace|debug|info|warn|error|off); the command line wins.
//
//   ossa::log::info("loaded ", n, " tensors in ", ms, " ms");
#include <exception>
#include <sstream>
#include <string>
#include <string_view>

namespace ossa::log {

enum class Level { trace = 0, debug, info, warn, error, off };

void set_level(Level level);
Level level();
// Parses a level name; returns false (and leaves `out` alone) for an unknown name.
bool parse_level(std::string_view name, Level& out);
// Applies OSSA_LOG from the environment when it names a valid level.
void init_from_env();

// One line, prefixed with the level, written atomically (threads never interleave lines).
void write(Level level, std::string_view message);

template <class... Args>
void log(Level lvl, const Args&... args) {
  if (lvl < level()) return;
  std::ostringstream s;
  (s << ... << args);
  write(lvl, s.str());
}
template <class... A> void trace(const A&... a) { log(Level::trace, a...); }
template <class... A> void debug(const A&... a) { log(Level::debug, a...); }
template <class... A> void info(const A&... a) { log(Level::info, a...); }
template <class... A> void warn(const A&... a) { log(Level::warn, a...); }
template <class... A> void error(const A&... a) { log(Level::error, a...); }

// An exception as a sentence for the user. A failed thread or process creation (std::system_error
// EAGAIN, whose own text is a bare "Resource temporarily unavailable") says which limit to look at.
std::string describe(const std::exception& e);

}  // namespace ossa::log
