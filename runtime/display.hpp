#pragma once
// Shows a session's events to a person on a terminal (events.hpp's sink).
//
// The final answer streams to stdout; reasoning (dimmed), preambles, tool calls and results,
// warnings and the stop reason go to stderr, so `ossa run "task" > answer.txt` keeps only the
// answer. (`--json` uses JsonLinesSink instead.)
//
// With the live status on (a terminal), a turn shows one status line on stderr while it runs:
// what is under way (prompt, the channel being written, or `tool: NAME`), tokens generated,
// decode speed and elapsed time, e.g. `[analysis] 48 tokens, 21.3 tok/s, 2.4 s`. It is drawn
// only where the cursor is at the start of a line (never inside streamed text), redrawn in
// place at most ten times a second, and erased (`\r\x1b[K`) before anything else is written
// and when the turn ends.
#include <chrono>
#include <cstdio>
#include <string>

#include "runtime/completion.hpp"
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

  // The live status line (see above); `out_on_terminal`: stdout is the same terminal, so the
  // answer moves the cursor too.
  void set_live_status(bool on, bool out_on_terminal);
  // A turn begins: the elapsed time counts from here and the status line appears.
  void turn_started();
  // The counts of the round under way (SessionDeps::on_progress).
  void round_progress(const RoundStats& stats);
  // Redraws the status line when it is due (the elapsed time moves on); called every 100 ms.
  void tick();
  // While someone else writes to the terminal (an approval question): no status line.
  void pause_status(bool paused);
  // Erases the status line now (before another writer prints).
  void erase_status();

 private:
  void end_stream();
  void write(std::FILE* f, const char* text, std::size_t n);
  void draw_status(bool force);
  bool color_;
  std::FILE* out_;
  std::FILE* err_;
  std::string channel_;  // channel of the message being streamed
  const char* stream_color_ = "";  // its style on stderr
  bool streaming_ = false;
  std::string resume_hint_;
  bool timings_ = false;
  // The rounds of the turn under way.
  std::size_t prompt_tokens_ = 0, cached_tokens_ = 0, computed_tokens_ = 0, generated_tokens_ = 0;
  double prefill_ms_ = 0, decode_ms_ = 0;
  // The live status line.
  bool live_ = false, out_on_terminal_ = false, in_turn_ = false, paused_ = false;
  bool drawn_ = false, at_line_start_ = true;
  std::string state_;  // prompt | analysis | commentary | final | tool: NAME
  int round_tokens_ = 0;
  double round_decode_ms_ = 0;
  std::chrono::steady_clock::time_point turn_start_{}, last_draw_{};
};

}  // namespace ossa::runtime
