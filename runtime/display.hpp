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
  // Said after a `stopped:` line: how to go on (e.g. `ossa run --resume ID "..."`); empty: nothing.
  void set_resume_hint(std::string hint) { resume_hint_ = std::move(hint); }
  // After each turn, one line of timings on stderr (prompt, cached and generated tokens,
  // prefill and decode speed, wall time), as llama.cpp prints them.
  void set_timings(bool on) { timings_ = on; }

 private:
  void end_stream();
  bool color_;
  std::FILE* out_;
  std::FILE* err_;
  std::string channel_;  // channel of the message being streamed
  bool streaming_ = false;
  std::string resume_hint_;
  bool timings_ = false;
  // The rounds of the turn under way.
  std::size_t prompt_tokens_ = 0, cached_tokens_ = 0, computed_tokens_ = 0, generated_tokens_ = 0;
  double prefill_ms_ = 0, decode_ms_ = 0;
};

}  // namespace ossa::runtime
