#include "runtime/json_output.hpp"

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace ossa::out {
namespace {
void emit(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    throw std::runtime_error("cannot write to stdout");
}
}  // namespace

void print_json(const nlohmann::json& value) {
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  // error_handler replace: a model can produce invalid UTF-8; output must still be valid JSON.
  emit(value.dump(tty ? 2 : -1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void print_json_ordered(const nlohmann::ordered_json& value) {
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  emit(value.dump(tty ? 2 : -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
}

void print_json_line(const nlohmann::json& value) {
  emit(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace ossa::out
