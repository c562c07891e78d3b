#include "tests/cli/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace ossa::test {

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input,
                          const Interrupt& interrupt) {
  using Clock = std::chrono::steady_clock;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  signal(SIGPIPE, SIG_IGN);
  ProcessResult r;
  size_t written = 0;
  if (input.empty()) {
    close(in[1]);
    in[1] = -1;
  }
  pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
  int open_fds = 2;
  char buf[65536];
  bool armed = interrupt.signal != 0 && interrupt.after_output.empty();
  bool sent = false;
  Clock::time_point fire_at = Clock::now() + interrupt.delay;
  while (open_fds > 0 || fds[2].fd >= 0) {
    int wait_ms = -1;
    if (interrupt.signal != 0 && !sent && !armed &&
        r.out.find(interrupt.after_output) != std::string::npos) {
      armed = true;
      fire_at = Clock::now() + interrupt.delay;
    }
    if (armed && !sent) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(fire_at - Clock::now());
      if (left.count() <= 0) {
        kill(pid, interrupt.signal);
        sent = true;
      } else {
        wait_ms = static_cast<int>(left.count());
      }
    }
    if (poll(fds, 3, wait_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(fds[2].fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n <= 0 || written == input.size()) {
        close(fds[2].fd);
        fds[2].fd = -1;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

ProcessResult run_ossa(const std::vector<std::string>& args, const std::string& input,
                       const Interrupt& interrupt) {
  std::vector<std::string> argv{OSSA_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, input, interrupt);
}

namespace {

// Whether the terminal of `master` reads key by key (a line editor has it) rather than lines.
bool terminal_in_key_mode(int master) {
  const char* name = ptsname(master);
  int fd = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
  if (fd < 0) return false;
  termios t{};
  bool raw = tcgetattr(fd, &t) == 0 && !(t.c_lflag & ICANON);
  close(fd);
  return raw;
}

}  // namespace

ProcessResult run_ossa_in_terminal(const std::vector<std::string>& args, const std::string& input) {
  // Typed one line at a time, then Ctrl-D at the start of a line: the terminal's end of input.
  std::vector<TerminalStep> script;
  for (std::size_t at = 0; at < input.size();) {
    std::size_t end = input.find('\n', at);
    end = end == std::string::npos ? input.size() : end + 1;
    script.push_back({"", input.substr(at, end - at)});
    at = end;
  }
  script.push_back({"", "\x04"});
  return run_ossa_in_terminal(args, script);
}

ProcessResult run_ossa_in_terminal(const std::vector<std::string>& args,
                                   const std::vector<TerminalStep>& script,
                                   std::chrono::seconds timeout) {
  using Clock = std::chrono::steady_clock;
  int master = -1;
  winsize size{};
  size.ws_row = 40;
  size.ws_col = 120;
  pid_t pid = forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    std::vector<std::string> argv{OSSA_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  ProcessResult r;
  std::size_t step = 0, written = 0, searched = 0;
  bool killed = false;
  auto step_deadline = Clock::now() + timeout;
  char buf[65536];
  for (;;) {
    // The current step may be typed once its `after` has been shown.
    bool typing = false;
    if (step < script.size()) {
      std::size_t at = r.out.find(script[step].after, searched);
      if (at != std::string::npos && (!script[step].to_editor || terminal_in_key_mode(master))) {
        typing = true;
        if (written == script[step].type.size()) {
          searched = at + script[step].after.size();
          ++step;
          written = 0;
          step_deadline = Clock::now() + timeout;
          continue;
        }
      }
    }
    int wait_ms = -1;
    if (step < script.size() && !typing && !killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(step_deadline - Clock::now());
      // The terminal's mode changes without output: look again soon.
      if (script[step].to_editor) left = std::min(left, std::chrono::milliseconds(10));
      if (Clock::now() >= step_deadline) {
        r.err += "step " + std::to_string(step) + ": never saw \"" + script[step].after +
                 (script[step].to_editor ? "\" with a line editor reading\n" : "\"\n");
        kill(pid, SIGKILL);
        killed = true;
      } else {
        wait_ms = static_cast<int>(left.count());
      }
    }
    pollfd fd{master, static_cast<short>(POLLIN | (typing ? POLLOUT : 0)), 0};
    int ready = poll(&fd, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fd.revents & POLLIN) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO: the program and its children closed the terminal
      r.out.append(buf, static_cast<size_t>(n));
    } else if (fd.revents & (POLLHUP | POLLERR)) {
      break;
    }
    if (typing && (fd.revents & POLLOUT)) {
      const std::string& text = script[step].type;
      ssize_t n = write(master, text.data() + written, text.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
    }
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace ossa::test
