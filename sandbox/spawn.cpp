// The pipeline: clone into new namespaces, then (in the child) each layer in order, then the
// command as pid 2 under a minimal init that reports its status and takes every leftover
// process with it when it exits.
//
//   parent: plan everything -> cgroup -> clone3(user|mnt|pid|net|ipc|uts, pidfd)
//           -> uid/gid maps -> cgroup join -> (idmapped workspace) -> "go"
//   child:  fds -> signals -> wait "go" -> ids -> hide ossa's traces -> cgroup ns -> mounts
//           + pivot_root -> hostname -> loopback -> rlimits -> no_new_privs -> landlock -> caps -> seccomp
//           -> fork the command (setsid, exec) -> reap until it exits -> report status, exit
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "sandbox/cgroup.hpp"
#include "sandbox/child_plan.hpp"
#include "sandbox/mount_namespace.hpp"
#include "sandbox/process_state.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/unique_fd.hpp"
#include "sandbox/user_namespace.hpp"

namespace ossa::sandbox {

void child_fail(const char* step, int err) {
  ChildError e{};
  std::strncpy(e.step, step, sizeof e.step - 1);
  e.err = err;
  ssize_t ignored = ::write(kErrorFd, &e, sizeof e);
  (void)ignored;
  ::_exit(126);
}

namespace {

// Moves the descriptors the child keeps to fixed numbers and closes every other one (the
// parent's sockets, files, other sandboxes' pipes).
void arrange_fds(const std::array<int, 6>& from) {
  int high[6];
  for (int i = 0; i < 6; ++i) {
    high[i] = ::fcntl(from[i], F_DUPFD_CLOEXEC, 64);
    if (high[i] < 0) ::_exit(125);
  }
  for (int i = 0; i < 6; ++i) {
    if (::dup2(high[i], i) < 0) ::_exit(125);  // dup2 clears close-on-exec on the copy
  }
  // Only stdin/stdout/stderr survive exec; the control descriptors are close-on-exec.
  for (int fd = kControlFd; fd <= kStatusFd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (::syscall(SYS_close_range, 6u, ~0u, 0u) != 0) {
    for (int fd = 6; fd < 65536; ++fd) ::close(fd);
  }
}

void reset_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // EINVAL for KILL/STOP
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Receives the "go" byte and, when expected, the idmapped workspace tree.
int wait_for_go(bool expect_fd) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(kControlFd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(125);  // the parent is gone or gave up
  if (byte != 'g') child_fail("setup: parent refused", byte == 'i' ? EPERM : EIO);
  if (!expect_fd) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) child_fail("mount namespace: workspace tree not received", EIO);
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

[[noreturn]] void exec_command(const ChildPlan& plan) {
  ::setsid();
  int err = ENOENT;
  for (const std::string& path : plan.exec_candidates) {
    ::execve(path.c_str(), plan.argv.data(), plan.envp.data());
    if (errno != ENOENT && errno != ENOTDIR) err = errno;
  }
  // Like a shell: the reason on stderr, 127 (not found) or 126 (found, not executable).
  const char* what = std::strerror(err);
  const char* cmd = plan.argv[0];
  const char* parts[] = {"sandbox: cannot execute ", cmd, ": ", what, "\n"};
  for (const char* p : parts) {
    ssize_t ignored = ::write(2, p, std::strlen(p));
    (void)ignored;
  }
  ::_exit(err == ENOENT ? 127 : 126);
}

// pid 1 of the sandbox: reaps everything, and when the command itself ends reports its status
// and exits; the kernel then kills whatever is left in the pid namespace.
[[noreturn]] void init_loop(pid_t command) {
  ::close(0);
  ::close(1);
  ::close(2);
  ::close(kControlFd);
  ::close(kErrorFd);  // the parent's read of the error pipe ends when the command has exec'd
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, __WALL);
    if (pid < 0 && errno == EINTR) continue;
    if (pid == command || pid < 0) {
      if (pid == command) {
        ssize_t ignored = ::write(kStatusFd, &status, sizeof status);
        (void)ignored;
      }
      ::_exit(0);
    }
  }
}

// Where ossa's argv and environment strings live (fields 48-51 of /proc/self/stat). Read once:
// they never move.
struct HostStrings {
  std::uintptr_t args_begin = 0, args_end = 0, env_begin = 0, env_end = 0;
};

HostStrings host_strings() {
  static const HostStrings found = [] {
    HostStrings h;
    int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return h;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return h;
    buf[n] = '\0';
    // The command name (field 2) may hold spaces and parentheses: count from its last ')'.
    const char* p = std::strrchr(buf, ')');
    if (!p) return h;
    unsigned long long v[4] = {};
    int field = 2;
    for (++p; *p && field < 51;) {
      while (*p == ' ') ++p;
      ++field;
      char* end = nullptr;
      unsigned long long x = std::strtoull(p, &end, 10);
      if (field >= 48) v[field - 48] = x;
      p = end && end != p ? end : p + 1;
      while (*p && *p != ' ') ++p;
    }
    if (field == 51 && v[0] < v[1] && v[2] < v[3]) h = {v[0], v[1], v[2], v[3]};
    return h;
  }();
  return found;
}

// The sandbox's init is a copy of ossa that never execs: left alone, /proc/1/cmdline would show
// ossa's host command line and /proc/1/mem, /proc/1/environ ossa's memory and environment to
// the command (same uid when ossa is not root). Non-dumpable closes the ptrace-checked files;
// zeroing the strings (this copy's pages only) empties cmdline, which /proc shows to anyone.
void hide_host_process(const ChildPlan& plan) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (plan.host_args_end > plan.host_args_begin)
    std::memset(reinterpret_cast<void*>(plan.host_args_begin), 0, plan.host_args_end - plan.host_args_begin);
  if (plan.host_env_end > plan.host_env_begin)
    std::memset(reinterpret_cast<void*>(plan.host_env_begin), 0, plan.host_env_end - plan.host_env_begin);
}

[[noreturn]] void child_main(const ChildPlan& plan, const std::array<int, 6>& fds) {
  // Dies with the thread that spawned it; the parent may already be gone, in which case the
  // "go" read below fails and we exit.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  arrange_fds(fds);
  reset_signals();
  int workspace_fd = wait_for_go(plan.expect_workspace_fd);
  apply_user_namespace(plan);
  // Changing credentials cleared the parent-death signal: set it again.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  hide_host_process(plan);
  // After joining the cgroup, so that the cgroup namespace is rooted at the sandbox's own.
  if (::unshare(CLONE_NEWCGROUP) != 0) child_fail("cgroup namespace: unshare", errno);
  apply_mounts(plan, workspace_fd);
  if (workspace_fd >= 0) ::close(workspace_fd);
  apply_hostname();
  apply_loopback();
  apply_rlimits(plan);
  apply_no_new_privs();
  apply_landlock(plan);
  apply_capabilities_drop(plan);
  apply_seccomp(plan);
  // glibc's fork() would run the parent's atfork handlers in this raw clone: clone directly.
  long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) child_fail("init: fork the command", errno);
  if (pid == 0) {
    ::close(kStatusFd);
    ::close(kControlFd);
    exec_command(plan);
  }
  init_loop(static_cast<pid_t>(pid));
}

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    throw Error(std::string("sandbox: pipe: ") + std::strerror(errno));
  return {UniqueFd(p[0]), UniqueFd(p[1])};
}

void send_go(int fd, char byte, int pass_fd) {
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof pass_fd);
  }
  ::sendmsg(fd, &msg, MSG_NOSIGNAL);
}

void ignore_sigpipe_once() {
  // Writing to the stdin of a program that exited must be an EPIPE error, not our death.
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

std::unique_ptr<Process> Sandbox::spawn(boost::asio::io_context& io, const Policy& policy,
                                        const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("sandbox: no command given");
  if (policy.workspace_mount.empty() || policy.workspace_mount.front() != '/' ||
      policy.workspace_mount == "/")
    throw Error("sandbox: workspace mount point must be an absolute path below /");
  ignore_sigpipe_once();

  ChildPlan plan;
  plan.cwd = policy.cwd.empty() ? policy.workspace_mount : policy.cwd;
  if (plan.cwd.front() != '/') throw Error("sandbox: working directory must be absolute");
  plan_environment(policy, argv, plan);
  const IdMapping ids = choose_id_mapping();
  plan_mounts(policy, ids.caller_is_root && !policy.workspace.empty(), plan);
  plan.seccomp_program = seccomp_program();
  const HostStrings strings = host_strings();
  plan.host_args_begin = strings.args_begin;
  plan.host_args_end = strings.args_end;
  plan.host_env_begin = strings.env_begin;
  plan.host_env_end = strings.env_end;
  plan.cap_last = last_capability();
  const int abi = landlock_abi();
  if (abi <= 0 && !policy.allow_degraded)
    throw Error("sandbox: landlock is not available on this kernel (use allow_degraded)");
  plan_landlock(policy, abi, plan);

  std::unique_ptr<Cgroup> cgroup;
  const bool want_memory = policy.limits.memory_bytes != 0, want_pids = policy.limits.max_processes != 0;
  if ((want_memory && !Cgroup::has("memory")) || (want_pids && !Cgroup::has("pids"))) {
    if (!policy.allow_degraded)
      throw Error(std::string("sandbox: no writable cgroup with the ") +
                  (want_memory && !Cgroup::has("memory") ? "memory" : "pids") +
                  " controller (use allow_degraded to rely on rlimits only)");
  }
  if (want_memory || want_pids) cgroup = Cgroup::create(policy.limits);
  // The workspace budget: measured before the program can write anything.
  const bool budget = policy.limits.workspace_max_bytes && !policy.workspace.empty() && !policy.workspace_read_only;
  std::uint64_t workspace_room = 0;
  if (budget) {
    const WorkspaceBytes held = workspace_bytes(policy.workspace);
    if (held.too_deep)
      throw Error("sandbox: the workspace nests directories deeper than " + std::to_string(kMaxWorkspaceDepth) +
                  " levels, too deep to keep to its byte budget");
    if (held.bytes >= policy.limits.workspace_max_bytes)
      throw Error("sandbox: the workspace holds " + std::to_string(held.bytes >> 20) +
                  " MiB, at or past its budget of " + std::to_string(policy.limits.workspace_max_bytes >> 20) +
                  " MiB: remove files from it before running more code");
    workspace_room = policy.limits.workspace_max_bytes - held.bytes;
  }
  plan_rlimits(policy, cgroup && cgroup->limits_memory(), cgroup && cgroup->limits_pids(), workspace_room, plan);

  Pipe in = make_pipe(), out = make_pipe(), err = make_pipe(), error = make_pipe(),
       status = make_pipe();
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    throw Error(std::string("sandbox: socketpair: ") + std::strerror(errno));
  UniqueFd control_parent(sv[0]), control_child(sv[1]);
  const std::array<int, 6> child_fds = {in.read.get(),       out.write.get(),   err.write.get(),
                                        control_child.get(), error.write.get(), status.write.get()};

  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
               CLONE_NEWUTS | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  const auto started = std::chrono::steady_clock::now();
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0)
    throw Error(std::string("sandbox: namespaces: clone3 refused: ") + std::strerror(errno));
  if (pid == 0) child_main(plan, child_fds);

  UniqueFd pidfd_owner(pidfd);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  control_child.reset();
  error.write.reset();
  status.write.reset();
  auto abandon = [&](const std::string& why) -> Error {
    send_go(control_parent.get(), 'x', -1);
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    ::waitpid(static_cast<pid_t>(pid), nullptr, __WALL);
    return Error(why);
  };
  try {
    write_id_maps(static_cast<pid_t>(pid), ids);
    if (cgroup) cgroup->add(static_cast<pid_t>(pid));
  } catch (const Error& e) {
    throw abandon(e.what());
  }
  UniqueFd workspace_tree;
  if (plan.expect_workspace_fd) {
    workspace_tree = idmapped_workspace(policy.workspace, static_cast<pid_t>(pid));
    if (!workspace_tree)
      throw abandon("sandbox: mount namespace: cannot create the idmapped workspace mount for " +
                    policy.workspace.string() + ": " + std::strerror(errno));
  }
  send_go(control_parent.get(), 'g', workspace_tree.get());
  workspace_tree.reset();
  control_parent.reset();

  // Until the command has exec'd (or a step failed) the error pipe stays open.
  ChildError failure{};
  size_t got = 0;
  for (;;) {
    ssize_t n = ::read(error.read.get(), reinterpret_cast<char*>(&failure) + got, sizeof failure - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
    if (got == sizeof failure) break;
  }
  if (got == sizeof failure) {
    ::waitpid(static_cast<pid_t>(pid), nullptr, __WALL);
    failure.step[sizeof failure.step - 1] = '\0';
    throw Error(std::string("sandbox: ") + failure.step + ": " + std::strerror(failure.err));
  }
  if (got != 0) {
    // A torn report: the child died while writing it.
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    ::waitpid(static_cast<pid_t>(pid), nullptr, __WALL);
    throw Error("sandbox: setup: the sandbox process died while starting");
  }

  auto state = std::make_shared<Process::State>(io);
  state->pid = static_cast<pid_t>(pid);
  state->pidfd = std::move(pidfd_owner);
  state->status_fd = std::move(status.read);
  state->cgroup = std::move(cgroup);
  state->started = started;
  state->stdin_pipe.assign(in.write.release());
  state->stdout_pipe.assign(out.read.release());
  state->stderr_pipe.assign(err.read.release());
  state->arm_timeout(policy.limits.wall_timeout);
  if (budget) {
    int watch_fd = ::fcntl(state->pidfd.get(), F_DUPFD_CLOEXEC, 3);
    // Throwing here destroys the state, which kills and reaps the tree.
    if (watch_fd < 0) throw Error(std::string("sandbox: workspace budget: dup: ") + std::strerror(errno));
    state->workspace_watch = std::make_unique<WorkspaceWatch>(policy.workspace, policy.limits.workspace_max_bytes,
                                                             UniqueFd(watch_fd));
  }
  return std::make_unique<Process>(std::move(state));
}

}  // namespace ossa::sandbox
