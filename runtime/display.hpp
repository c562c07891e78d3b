#pragma once
// Shows a session's events to a person on a terminal (events.hpp's sink).
//
// The final answer streams to stdout; reasoning (dimmed), preambles, tool calls and results,
// warnings and the stop reason go to stderr, so `ossa run "task" > answer.txt` keeps only the
// answer. (`--json` uses JsonLinesSink instead.)
#include <cstdio>
#include <string>

#include "runtime/events.hpp"

namespace ossa::runtime {

class Display final : public EventSink {
 public:
  // `color`: ANSI styling on stderr (dimmed reasoning); normally isatty(stderr).
  explicit Display(bool color, std::FILE* out = stdout, std::FILE* err = stderr);
  void on_event(const SessionEvent& event, const Event& json) override;

 private:
  void end_stream();
  bool color_;
  std::FILE* out_;
  std::FILE* err_;
  std::string channel_;  // channel of the message being streamed
  bool streaming_ = false;
};

}  // namespace ossa::runtime
