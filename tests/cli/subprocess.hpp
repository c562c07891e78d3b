#pragma once
// Runs the built `ossa` binary as a child process and captures what it prints: the CLI's
// contract (exit codes, stdout vs stderr) is only observable from outside the process.
#include <chrono>
#include <string>
#include <vector>

namespace ossa::test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// A signal sent to the child while it runs: `delay` after `after_output` first appears on its
// stdout (after the start when empty). The output read until the child ends is kept.
struct Interrupt {
  int signal = 0;  // 0: none
  std::chrono::milliseconds delay{0};
  std::string after_output;
};

// argv[0] is the program path. `input` is written to the child's stdin, which is then closed.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          const Interrupt& interrupt = {});

// run_process with OSSA_BINARY prepended.
ProcessResult run_ossa(const std::vector<std::string>& args, const std::string& input = {},
                       const Interrupt& interrupt = {});

// `ossa args...` on a pseudo-terminal (stdin, stdout and stderr all the terminal), as a user
// at a terminal runs it: what the program shows only on a terminal can be checked. `input` is
// typed, then end of input (Ctrl-D) is sent; `out` holds everything the terminal showed (the
// terminal turns "\n" into "\r\n"), `err` stays empty.
ProcessResult run_ossa_in_terminal(const std::vector<std::string>& args, const std::string& input = {});

// One step of a scripted terminal session: once `after` has appeared in what the terminal
// showed (searched from where the previous step's `after` ended), `type` is typed. With
// `to_editor`, typing also waits until the terminal has left line mode (canonical mode off):
// a line editor draws its prompt before it switches the terminal, and a key typed in between
// would be the terminal's (echoed as `^[[A`, Ctrl-D read as a NUL).
struct TerminalStep {
  std::string after;
  std::string type;
  bool to_editor = false;
};

// `ossa args...` on a pseudo-terminal, driven by `script` (nothing else is typed: end the
// script with "\x04" for Ctrl-D). A step whose `after` does not appear within `timeout` kills
// the program; `err` then says which step waited in vain.
ProcessResult run_ossa_in_terminal(const std::vector<std::string>& args,
                                   const std::vector<TerminalStep>& script,
                                   std::chrono::seconds timeout = std::chrono::seconds(120));

}  // namespace ossa::test
