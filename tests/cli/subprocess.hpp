#pragma once
// Runs the built `ossa` binary as a child process and captures what it prints: the CLI's
// contract (exit codes, stdout vs stderr) is only observable from outside the process.
#include <string>
#include <vector>

namespace ossa::test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// argv[0] is the program path. `input` is written to the child's stdin, which is then closed.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {});

// run_process with OSSA_BINARY prepended.
ProcessResult run_ossa(const std::vector<std::string>& args, const std::string& input = {});

}  // namespace ossa::test
