// The supervisor side of a running sandbox: wall timeout, kill, reaping and the result.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <boost/asio/post.hpp>
#include <cerrno>

#include "sandbox/process_state.hpp"

namespace ossa::sandbox {

namespace {

std::chrono::microseconds to_us(const timeval& tv) {
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

}  // namespace

Process::State::~State() {
  if (!reaped && pid > 0) {
    kill();
    reap();
  }
}

void Process::State::arm_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return;
  deadline = started + timeout;
  timer.expires_at(deadline);
  std::weak_ptr<State> weak = shared_from_this();
  timer.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->reaped) return;
    self->timed_out = true;
    self->kill();
  });
}

void Process::State::kill() {
  if (reaped) return;
  // pidfd_send_signal cannot hit a recycled pid. SIGKILL from outside the pid namespace kills
  // its init, and with it every process in the namespace.
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0 && errno != ESRCH)
    ::kill(pid, SIGKILL);
}

bool Process::State::exited() {
  if (reaped) return true;
  pollfd p{pidfd.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

void Process::State::reap() {
  if (reaped) return;
  int status = 0;
  rusage usage{};
  pid_t r;
  do {
    r = ::wait4(pid, &status, __WALL, &usage);
  } while (r < 0 && errno == EINTR);
  reaped = true;
  timer.cancel();
  Result res;
  if (workspace_watch) {
    res.workspace_full = workspace_watch->tripped();
    workspace_watch.reset();
  }
  // The command's own status, as reported by the sandbox's init. Absent when the init was
  // killed (timeout, kill(), OOM of the init) before the command ended.
  int command_status = 0;
  ssize_t n = ::read(status_fd.get(), &command_status, sizeof command_status);
  if (n == static_cast<ssize_t>(sizeof command_status)) status = command_status;
  if (WIFEXITED(status)) {
    res.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    res.signal = WTERMSIG(status);
  }
  res.timed_out = timed_out;
  res.output_truncated = truncated;
  if (cgroup) {
    res.out_of_memory = cgroup->oom_killed();
    cgroup.reset();  // removes the directories now that the tree is gone
  }
  res.usage.wall = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  res.usage.user_cpu = to_us(usage.ru_utime);
  res.usage.system_cpu = to_us(usage.ru_stime);
  res.usage.max_rss_bytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
  result = res;
}

void Process::State::notify() {
  if (!handler) return;
  auto h = std::move(handler);
  handler = nullptr;
  waiting = false;
  h(result);
}

Process::Process(std::shared_ptr<State> state) : state_(std::move(state)) {}

Process::~Process() {
  if (!state_) return;
  state_->kill();
  state_->reap();
  boost::system::error_code ignored;
  state_->pid_watch.close(ignored);
  state_->stdin_pipe.close(ignored);
  state_->stdout_pipe.close(ignored);
  state_->stderr_pipe.close(ignored);
  state_->timer.cancel();
}

pid_t Process::pid() const { return state_->pid; }
boost::asio::posix::stream_descriptor& Process::stdin_pipe() { return state_->stdin_pipe; }
boost::asio::posix::stream_descriptor& Process::stdout_pipe() { return state_->stdout_pipe; }
boost::asio::posix::stream_descriptor& Process::stderr_pipe() { return state_->stderr_pipe; }
void Process::kill() { state_->kill(); }
void Process::note_output_truncated() {
  state_->truncated = true;
  state_->result.output_truncated = true;
}

bool Process::running() { return !state_->exited(); }

Result Process::wait() {
  State& s = *state_;
  while (!s.reaped) {
    int timeout_ms = -1;
    if (s.deadline != std::chrono::steady_clock::time_point::max() && !s.timed_out) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          s.deadline - std::chrono::steady_clock::now());
      timeout_ms = left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
    }
    pollfd p{s.pidfd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      s.timed_out = true;
      s.kill();
      continue;
    }
    s.reap();
  }
  return s.result;
}

void Process::async_wait(std::function<void(const Result&)> handler) {
  State& s = *state_;
  s.handler = std::move(handler);
  if (s.reaped) {
    std::weak_ptr<State> weak = state_;
    boost::asio::post(s.timer.get_executor(), [weak] {
      if (auto self = weak.lock()) self->notify();
    });
    return;
  }
  if (s.waiting) return;
  s.waiting = true;
  if (!s.pid_watch.is_open()) s.pid_watch.assign(::fcntl(s.pidfd.get(), F_DUPFD_CLOEXEC, 3));
  std::weak_ptr<State> weak = state_;
  s.pid_watch.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [weak](const boost::system::error_code& ec) {
                           auto self = weak.lock();
                           if (!self || ec) return;
                           self->reap();
                           self->notify();
                         });
}

}  // namespace ossa::sandbox
