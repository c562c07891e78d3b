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

}  // namespace ossa::test
