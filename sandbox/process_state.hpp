#pragma once
// Internal: what a Process holds. Shared with the timeout and wait handlers on the io_context
// (they keep only weak references, so a destroyed Process cancels them).
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "sandbox/cgroup.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/unique_fd.hpp"
#include "sandbox/workspace_budget.hpp"

namespace ossa::sandbox {

struct Process::State : std::enable_shared_from_this<Process::State> {
  explicit State(boost::asio::io_context& io)
      : stdin_pipe(io), stdout_pipe(io), stderr_pipe(io), pid_watch(io), timer(io) {}
  ~State();

  void arm_timeout(std::chrono::milliseconds timeout);
  void kill();
  bool exited();                     // the init process has exited (not necessarily reaped)
  void reap();                       // collects the result; the init must have exited
  void notify();                     // runs the pending async_wait handler, if any

  pid_t pid = -1;
  UniqueFd pidfd;
  UniqueFd status_fd;
  std::unique_ptr<Cgroup> cgroup;
  std::unique_ptr<WorkspaceWatch> workspace_watch;  // when Limits::workspace_max_bytes is set
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  boost::asio::posix::stream_descriptor stdin_pipe, stdout_pipe, stderr_pipe;
  boost::asio::posix::stream_descriptor pid_watch;  // a dup of pidfd, readable on exit
  boost::asio::steady_timer timer;
  bool reaped = false;
  bool timed_out = false;
  bool truncated = false;
  bool waiting = false;
  Result result;
  std::function<void(const Result&)> handler;
};

}  // namespace ossa::sandbox
