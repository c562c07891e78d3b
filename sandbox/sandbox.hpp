#pragma once
// Runs untrusted (model-written) programs with no way out.
//
// Every spawned program gets its own user namespace (inside uid 0, mapped to an unprivileged host
// uid: never host root), mount namespace with a minimal root (read-only /usr, the /bin and /lib
// links, a small /etc, fresh /proc, minimal /dev, tmpfs /tmp, the workspace read-write at
// Policy::workspace_mount), pid/net/ipc/uts/cgroup namespaces, no capabilities, no_new_privs, a
// seccomp filter, Landlock, rlimits and (when writable) a cgroup. Nothing of the host
// environment leaks: the program sees exactly Policy::env (plus PATH/HOME/LANG defaults).
// When the program ends, times out or its Process is destroyed, everything it started is killed
// (the sandbox's init is pid 1 of its pid namespace), and an ossa crash kills it too (PDEATHSIG).
//
// Two ways to use it:
//   - Sandbox::run(policy, argv, input): run to completion, stdout/stderr captured and capped.
//   - Sandbox::spawn(io, policy, argv): a live Process whose pipes are Asio stream descriptors on
//     `io`; for long-lived programs (a persistent interpreter fed over stdin). The caller
//     enforces per-request deadlines with kill(); the wall timeout (if any) is enforced by the
//     Process itself on `io`.
// Errors setting the sandbox up throw sandbox::Error naming the layer; a program that fails is a
// Result, never an exception.
#include <sys/types.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace ossa::sandbox {

// Sandbox setup failed (a layer the kernel refuses, a bad policy). what() names the layer.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Network {
  none,  // own network namespace with only loopback up: no route anywhere, not even the host's
};

// 0 means "no limit" for every field.
struct Limits {
  std::chrono::milliseconds wall_timeout{30'000};  // the whole tree is killed after this
  // RLIMIT_CPU per process, over its whole life: for a long-lived interpreter set 0 (and
  // wall_timeout 0) and enforce per-request deadlines with Process::kill().
  unsigned cpu_seconds = 30;
  std::uint64_t memory_bytes = 1ull << 30;         // cgroup memory limit, else RLIMIT_AS
  unsigned max_processes = 128;                    // cgroup pids.max and RLIMIT_NPROC
  std::uint64_t max_file_bytes = 256ull << 20;     // RLIMIT_FSIZE: largest file written
  unsigned max_open_files = 256;                   // RLIMIT_NOFILE
  std::uint64_t max_output_bytes = 1ull << 20;     // run(): stdout+stderr bytes kept
  std::uint64_t tmp_bytes = 256ull << 20;          // size of the private /tmp tmpfs
  // The most the workspace folder may hold while the program runs (0: no limit). Measured at
  // spawn (already past it: spawn refuses), then no file may grow past the room left
  // (RLIMIT_FSIZE) and a watcher kills the tree once the folder holds more: a fast writer can
  // overshoot by what it writes in one check (every 50 ms or more on large trees).
  std::uint64_t workspace_max_bytes = 0;
};

struct Policy {
  // Host directory mounted read-write at workspace_mount. Empty: a private tmpfs there instead.
  std::filesystem::path workspace;
  std::string workspace_mount = "/workspace";
  // The workspace mounted read-only (a server granted only reading, such as an MCP server).
  bool workspace_read_only = false;
  // Host paths mounted read-only at the same path inside (files or directories).
  std::vector<std::filesystem::path> read_only;
  Network network = Network::none;
  // The program's whole environment. PATH, HOME and LANG get defaults when absent.
  std::vector<std::pair<std::string, std::string>> env;
  // Working directory inside; empty: workspace_mount.
  std::string cwd;
  Limits limits;
  // Version-control and ossa metadata at the top of the workspace (.git, .hg, .svn, .jj,
  // .ossa), when present at spawn as a directory or file, is mounted read-only inside: a hook or
  // a `core.fsmonitor` line written there would run as the user on their next `git status`.
  bool protect_git = true;
  // Run even when Landlock or cgroups are unavailable. Never waives namespaces or seccomp.
  bool allow_degraded = false;
};

struct Usage {
  std::chrono::microseconds wall{0};
  std::chrono::microseconds user_cpu{0};    // the whole tree (reaped descendants included)
  std::chrono::microseconds system_cpu{0};
  std::uint64_t max_rss_bytes = 0;          // largest single process
};

struct Result {
  int exit_code = -1;  // >= 0 when the program exited
  int signal = 0;      // > 0 when it was killed by a signal
  bool timed_out = false;         // killed by the wall timeout
  bool out_of_memory = false;     // the memory limit was hit (cgroup OOM kill)
  bool output_truncated = false;  // more output than max_output_bytes (run(), or noted)
  bool workspace_full = false;    // killed for growing the workspace past workspace_max_bytes
  Usage usage;
  // Shell convention: exit_code, or 128 + signal.
  int status() const { return signal > 0 ? 128 + signal : exit_code; }
};

// A running sandboxed program. Not thread-safe: use it from the thread(s) running its
// io_context. Use either wait() or async_wait(), not both. Destroying it kills the whole tree
// and reaps it (a pending async_wait handler is then not called).
class Process {
 public:
  struct State;
  explicit Process(std::shared_ptr<State> state);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const;  // host pid of the sandbox's init (pid 1 inside)

  // The program's stdin/stdout/stderr, on the io_context given to spawn. Close stdin_pipe() to
  // send EOF. Reads return eof once the program (and every descendant holding them) is gone.
  boost::asio::posix::stream_descriptor& stdin_pipe();
  boost::asio::posix::stream_descriptor& stdout_pipe();
  boost::asio::posix::stream_descriptor& stderr_pipe();

  // SIGKILL to the whole tree. Idempotent; the result is still collected by wait/async_wait.
  void kill();
  // True until the tree is gone (and reaped by wait/async_wait/finished).
  bool running();
  // Blocks until the tree ended (enforcing the wall timeout) and returns the result.
  Result wait();
  // Calls handler(result) on the io_context once the tree ended. At most one pending call.
  void async_wait(std::function<void(const Result&)> handler);
  // For callers that cap the output themselves: sets Result::output_truncated.
  void note_output_truncated();

 private:
  std::shared_ptr<State> state_;
};

struct Output {
  Result result;
  std::string out;  // at most limits.max_output_bytes of stdout and stderr together
  std::string err;
};

// One isolation layer as probed on this kernel.
struct Layer {
  std::string name;    // "user namespace", "seccomp", "landlock", "cgroup memory", ...
  bool available = false;
  bool required = false;  // a missing required layer makes spawn refuse, even when degraded
  std::string detail;     // what was found (ABI version, cgroup path, errno text)
};

// Disk space a folder takes on its filesystem: allocated blocks, each inode at least 4 KiB
// (a hard-linked file once), symlinks not followed, other filesystems not entered. Directories
// nested deeper than kMaxWorkspaceDepth are not entered and set too_deep. Throws Error when the
// folder cannot be opened.
inline constexpr std::size_t kMaxWorkspaceDepth = 256;
struct WorkspaceBytes {
  std::uint64_t bytes = 0;
  bool too_deep = false;
};
WorkspaceBytes workspace_bytes(const std::filesystem::path& folder);

class Sandbox {
 public:
  // Starts argv (argv[0] an absolute path inside the sandbox, or a name looked up in PATH)
  // inside a fresh sandbox. Throws Error when a layer cannot be set up, or when an optional
  // layer is unavailable and !policy.allow_degraded.
  static std::unique_ptr<Process> spawn(boost::asio::io_context& io, const Policy& policy,
                                        const std::vector<std::string>& argv);
  // Runs argv to completion feeding it `input` on stdin, capturing capped stdout/stderr.
  static Output run(const Policy& policy, const std::vector<std::string>& argv,
                    std::string_view input = {});
  // Which layers this kernel allows (probed once, in a throwaway child; cached).
  static std::vector<Layer> check();
};

}  // namespace ossa::sandbox
