#pragma once
// A persistent Python interpreter in a long-lived sandbox, fed notebook-style cells.
//
// The interpreter is /usr/bin/python3 running the driver embedded in ossa (driver.py, compiled
// in), with the workspace at /mnt/data and no network. State (variables, imports) persists
// from cell to cell. A cell that runs past its timeout gets the whole sandbox killed; so does
// destroying the interpreter. After a timeout or a crash (segfault, os._exit, out of memory) the
// next cell starts a fresh interpreter, and the result says the state was lost.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "sandbox/sandbox.hpp"

namespace boost::asio {
class io_context;
}

namespace ossa::tools {

// The driver's source (tools/python/driver.py), compiled into the binary.
std::string_view python_driver_source();

struct CellResult {
  std::string output;        // stdout+stderr interleaved, capped (head, marker, tail)
  std::size_t dropped = 0;   // bytes left out of `output`
  bool timed_out = false;    // the interpreter was killed at the timeout
  bool died = false;         // the interpreter ended during the cell (crash, exit, OOM)
  std::string death;         // how it ended ("was killed by signal 11 (SIGSEGV)", ...)
  bool fresh = false;        // this cell started a new interpreter (first cell or after a loss)
  std::string setup_error;   // the sandbox could not start; nothing ran
  std::chrono::microseconds elapsed{0};  // the cell itself, interpreter start excluded
};

class PythonInterpreter {
 public:
  // `policy` is used for every (re)start; workspace_mount and cwd are set to
  // tools::kWorkspaceMount (/mnt/data).
  PythonInterpreter(boost::asio::io_context& io, sandbox::Policy policy);
  ~PythonInterpreter();
  PythonInterpreter(const PythonInterpreter&) = delete;
  PythonInterpreter& operator=(const PythonInterpreter&) = delete;

  // Runs one cell. Output past `cap` bytes is cut (the first 3/4 and the last 1/4 kept). One
  // cell at a time per interpreter.
  boost::asio::awaitable<CellResult> run(std::string code, std::chrono::milliseconds timeout,
                                         std::size_t cap);
  // Kills the interpreter now; the next run() starts a fresh one.
  void reset();
  bool alive() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ossa::tools
