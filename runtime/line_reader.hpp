#pragma once
// The lines `ossa chat` reads: on a terminal with line editing and a history kept across
// sessions (Debian's libedit: arrow keys, Ctrl-A/E, Ctrl-R...), from a pipe or a file as
// plain lines (what scripts and tests feed it).
//
//   LineReader in(default_history_path());
//   while (auto line = in.read("> ")) ...;   // nullopt: end of input (Ctrl-D on an empty line)
#include <memory>
#include <optional>
#include <string>

namespace ossa::runtime {

// $XDG_STATE_HOME/ossa/chat_history, by default ~/.local/state/ossa/chat_history; empty when
// neither variable is set.
std::string default_history_path();

class LineReader {
 public:
  // Edits lines when stdin and stderr are both a terminal (the prompt and the editing are
  // drawn on stderr). `history_file`: read at start, rewritten after each line (mode 0600, its
  // folder created 0700); empty: the history lives in memory only.
  explicit LineReader(std::string history_file);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Shows `prompt` on stderr and returns the next line without its newline; nullopt at the
  // end of input. A non-empty line read on a terminal joins the history.
  std::optional<std::string> read(const std::string& prompt);
  bool editing() const { return impl_ != nullptr; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;  // null: plain reads of stdin
};

}  // namespace ossa::runtime
