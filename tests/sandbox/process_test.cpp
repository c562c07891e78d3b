// Live sandboxes: a persistent interpreter fed over its pipes from Asio, kill and restart,
// whole-tree cleanup, and death of the sandbox when its creator dies.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <dirent.h>

#include <fstream>
#include <optional>
#include <thread>

#include "tests/sandbox/sandbox_fixture.hpp"

namespace ossa::sandbox::test {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

constexpr const char* kRepl = R"(
import sys
for line in sys.stdin:
    sys.stdout.write(repr(eval(line)) + '\n'); sys.stdout.flush()
)";

// One request/response over the pipes, with a per-request deadline enforced by the caller.
std::string ask(asio::io_context& io, Process& p, const std::string& request,
                std::chrono::milliseconds deadline) {
  asio::streambuf buf;
  std::string reply;
  bool done = false;
  asio::write(p.stdin_pipe(), asio::buffer(request));
  asio::async_read_until(p.stdout_pipe(), buf, '\n',
                         [&](const boost::system::error_code& ec, std::size_t n) {
                           done = true;
                           if (!ec) reply.assign(asio::buffers_begin(buf.data()),
                                                 asio::buffers_begin(buf.data()) + n);
                         });
  io.restart();
  io.run_for(deadline);
  if (!done) {
    p.kill();  // the request's deadline: the whole interpreter goes
    io.restart();
    io.run_for(2s);
  }
  return reply;
}

// Host pids of every process in the pid namespace whose inode is `ns`.
int processes_in_pid_namespace(ino_t ns) {
  int count = 0;
  DIR* d = ::opendir("/proc");
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    struct stat st;
    std::string path = std::string("/proc/") + e->d_name + "/ns/pid";
    if (::stat(path.c_str(), &st) == 0 && st.st_ino == ns) ++count;
  }
  ::closedir(d);
  return count;
}

TEST_F(SandboxTest, PersistentInterpreterOverPipesWithKillAndRestart) {
  policy_.limits.wall_timeout = 0ms;  // long-lived: deadlines are per request
  asio::io_context io;
  auto p = Sandbox::spawn(io, policy_, {"/usr/bin/python3", "-u", "-c", kRepl});
  EXPECT_TRUE(p->running());
  EXPECT_EQ(ask(io, *p, "6*7\n", 5s), "42\n");
  EXPECT_EQ(ask(io, *p, "sum(range(10))\n", 5s), "45\n");
  // A request that never answers: the caller's deadline kills the interpreter.
  EXPECT_EQ(ask(io, *p, "__import__('time').sleep(1000)\n", 300ms), "");
  Result r = p->wait();
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(p->running());
  // Restart: a fresh interpreter, nothing carried over.
  p = Sandbox::spawn(io, policy_, {"/usr/bin/python3", "-u", "-c", kRepl});
  EXPECT_EQ(ask(io, *p, "'again'\n", 5s), "'again'\n");
  p->stdin_pipe().close();
  bool finished = false;
  p->async_wait([&](const Result& res) {
    finished = true;
    EXPECT_EQ(res.exit_code, 0);
  });
  io.restart();
  io.run_for(5s);
  EXPECT_TRUE(finished);
}

TEST_F(SandboxTest, WallTimeoutWorksOnTheEventLoop) {
  policy_.limits.wall_timeout = 200ms;
  asio::io_context io;
  auto p = Sandbox::spawn(io, policy_, {"/bin/sleep", "100"});
  std::optional<Result> got;
  p->async_wait([&](const Result& r) { got = r; });
  io.run_for(5s);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->timed_out);
  EXPECT_EQ(got->signal, SIGKILL);
}

TEST_F(SandboxTest, DestroyingTheProcessKillsTheWholeTree) {
  policy_.limits.wall_timeout = 0ms;
  asio::io_context io;
  auto p = Sandbox::spawn(io, policy_, {"/bin/sh", "-c", "setsid sh -c 'sleep 300 & sleep 300' & sleep 300"});
  struct stat st;
  std::string ns = "/proc/" + std::to_string(p->pid()) + "/ns/pid";
  ASSERT_EQ(::stat(ns.c_str(), &st), 0);
  for (int i = 0; i < 100 && processes_in_pid_namespace(st.st_ino) < 5; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_GE(processes_in_pid_namespace(st.st_ino), 5);  // init, sh, sleep, setsid'd sh, sleep
  p.reset();
  EXPECT_EQ(processes_in_pid_namespace(st.st_ino), 0);
}

TEST_F(SandboxTest, SandboxDiesWithItsCreator) {
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  pid_t creator = ::fork();
  ASSERT_GE(creator, 0);
  if (creator == 0) {
    // A creator that crashes without cleaning up: no destructor runs.
    asio::io_context io;
    Policy policy;
    policy.allow_degraded = true;
    auto p = Sandbox::spawn(io, policy, {"/bin/sleep", "300"});
    pid_t pid = p->pid();
    ssize_t ignored = ::write(report[1], &pid, sizeof pid);
    (void)ignored;
    p.release();
    ::_exit(0);
  }
  ::close(report[1]);
  pid_t sandbox = -1;
  ASSERT_EQ(::read(report[0], &sandbox, sizeof sandbox), static_cast<ssize_t>(sizeof sandbox));
  ::close(report[0]);
  ::waitpid(creator, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    // Gone, or a zombie left for whoever inherited it to reap: either way no longer running.
    std::ifstream status("/proc/" + std::to_string(sandbox) + "/status");
    std::string line;
    gone = true;
    while (std::getline(status, line)) {
      if (line.rfind("State:", 0) == 0) gone = line.find('Z') != std::string::npos;
    }
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "sandbox " << sandbox << " outlived its creator";
}

TEST_F(SandboxTest, StdinIsFedAndMissingCommandsReport127) {
  Output o = Sandbox::run(policy_, {"/usr/bin/python3", "-c", "import sys; print(sys.stdin.read()[::-1])"},
                          "olleh");
  EXPECT_EQ(o.out, "hello\n");
  Output missing = Sandbox::run(policy_, {"no-such-command"});
  EXPECT_EQ(missing.result.exit_code, 127);
  EXPECT_NE(missing.err.find("no-such-command"), std::string::npos);
  Output shell = Sandbox::run(policy_, {"sh", "-c", "exit 3"});
  EXPECT_EQ(shell.result.exit_code, 3);
}

TEST_F(SandboxTest, BadPoliciesAreErrorsNotCrashes) {
  policy_.workspace = root_ / "does-not-exist";
  EXPECT_THROW(Sandbox::run(policy_, {"/bin/true"}), Error);
  policy_.workspace = workspace_;
  EXPECT_THROW(Sandbox::run(policy_, {}), Error);
  policy_.env = {{"BAD=NAME", "x"}};
  EXPECT_THROW(Sandbox::run(policy_, {"/bin/true"}), Error);
}

}  // namespace
}  // namespace ossa::sandbox::test
