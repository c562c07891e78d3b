#pragma once
// Machine-readable output: every command that prints results prints one JSON document (or
// JSON lines for streams) on stdout through these helpers, so formatting is uniform and a
// failed write (closed pipe, full disk) is reported instead of silently lost.
#include <nlohmann/json_fwd.hpp>

namespace ossa::out {

// Pretty (indent 2) when stdout is a terminal, compact otherwise; followed by a newline.
void print_json(const nlohmann::json& value);
// The same, keeping the keys in insertion order (tool schemas, whose order the model is shown).
void print_json_ordered(const nlohmann::ordered_json& value);
// One compact line, flushed at once: for streams of events consumed while they are produced.
void print_json_line(const nlohmann::json& value);

}  // namespace ossa::out
