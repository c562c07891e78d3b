#pragma once
// Shows a session's events (agent_session.hpp's EventSink) to a person or a program.
//
// Terminal: the final answer streams to stdout; reasoning (dimmed), preambles, tool calls and
// results, warnings and the stop reason go to stderr, so `ossa run "task" > answer.txt` keeps
// only the answer. JSON: every event is one JSON line on stdout.
#include <cstdio>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace ossa::runtime {

class Display {
 public:
  enum class Mode { terminal, json };
  // `color`: ANSI styling on stderr (dimmed reasoning); normally isatty(stderr).
  Display(Mode mode, bool color, std::FILE* out = stdout, std::FILE* err = stderr);
  void operator()(const nlohmann::json& event);

 private:
  void end_stream();
  Mode mode_;
  bool color_;
  std::FILE* out_;
  std::FILE* err_;
  std::string channel_;   // channel of the message being streamed
  bool streaming_ = false;
  bool out_line_open_ = false;
};

}  // namespace ossa::runtime
