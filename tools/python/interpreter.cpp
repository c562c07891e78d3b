#include "tools/python/interpreter.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <random>
#include <sstream>

#include "tools/exec/sandboxed_run.hpp"

namespace ossa::tools {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

constexpr auto kStartupTimeout = std::chrono::seconds(20);

}  // namespace

struct PythonInterpreter::Impl {
  asio::io_context& io;
  sandbox::Policy policy;
  std::unique_ptr<sandbox::Process> proc;
  std::string marker;   // written by the driver after each cell (and once when ready)
  std::string pending;  // bytes received that may be the start of a marker

  Impl(asio::io_context& i, sandbox::Policy p) : io(i), policy(std::move(p)) {}

  // Reads output up to the next marker, passing it to sink(); false when the interpreter is
  // gone (EOF) or the read was cancelled.
  template <class Sink>
  asio::awaitable<bool> read_until_marker(Sink sink) {
    for (;;) {
      auto at = pending.find(marker);
      if (at != std::string::npos) {
        sink(std::string_view(pending).substr(0, at));
        pending.erase(0, at + marker.size());
        co_return true;
      }
      // Keep back only a suffix that could begin a marker split across reads.
      std::size_t cut = pending.rfind('\x1e');
      if (cut == std::string::npos || pending.size() - cut >= marker.size() ||
          marker.compare(0, pending.size() - cut, pending, cut) != 0)
        cut = pending.size();
      sink(std::string_view(pending).substr(0, cut));
      pending.erase(0, cut);
      char buf[65536];
      boost::system::error_code ec;
      std::size_t n = co_await proc->stdout_pipe().async_read_some(
          asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      pending.append(buf, n);
      if (ec) {
        sink(pending);
        pending.clear();
        co_return false;
      }
    }
  }

  void kill() {
    if (proc) proc->kill();
    proc.reset();  // the Process reaps the whole tree
    pending.clear();
  }
};

// Keeps the first `head` bytes and the last `tail` bytes of a stream, counting the rest.
struct CappedOutput {
  std::size_t head, tail;
  std::string first, last;
  std::size_t dropped = 0;
  void operator()(std::string_view s) {
    std::size_t room = first.size() < head ? head - first.size() : 0;
    first.append(s.substr(0, room));
    s.remove_prefix(std::min(room, s.size()));
    if (s.empty()) return;
    last.append(s);
    if (last.size() > tail) {
      dropped += last.size() - tail;
      last.erase(0, last.size() - tail);
    }
  }
  std::string text() const {
    if (!dropped) return first + last;
    return first + "\n[... " + std::to_string(dropped) + " bytes of output omitted ...]\n" + last;
  }
};

PythonInterpreter::PythonInterpreter(asio::io_context& io, sandbox::Policy policy)
    : impl_(std::make_unique<Impl>(io, std::move(policy))) {
  impl_->policy.workspace_mount = tools::kWorkspaceMount;
  impl_->policy.cwd = tools::kWorkspaceMount;
  // One interpreter lives for the whole session: only per-cell timeouts apply.
  impl_->policy.limits.wall_timeout = std::chrono::milliseconds(0);
  impl_->policy.limits.cpu_seconds = 0;
}

PythonInterpreter::~PythonInterpreter() { impl_->kill(); }

void PythonInterpreter::reset() { impl_->kill(); }
bool PythonInterpreter::alive() const { return impl_->proc != nullptr; }

asio::awaitable<CellResult> PythonInterpreter::run(std::string code, std::chrono::milliseconds timeout,
                                                   std::size_t cap) {
  Impl& d = *impl_;
  CellResult res;

  if (!d.proc) {
    std::random_device rd;
    std::ostringstream m;
    // Record separators around random hex: unlikely in real output, and allowed in argv.
    m << '\x1e' << "ossa-cell-end-" << std::hex << rd() << rd() << rd() << rd() << '\x1e';
    d.marker = m.str();
    try {
      d.proc = sandbox::Sandbox::spawn(d.io, d.policy,
                                       {"/usr/bin/python3", "-I", "-c",
                                        std::string(python_driver_source()), d.marker});
    } catch (const std::exception& e) {
      res.setup_error = e.what();
      co_return res;
    }
    res.fresh = true;
    std::string startup_noise;
    asio::steady_timer startup(d.io, kStartupTimeout);
    auto ready = co_await (d.read_until_marker([&](std::string_view s) { startup_noise += s; }) ||
                           startup.async_wait(asio::use_awaitable));
    if (ready.index() != 0 || !std::get<0>(ready)) {
      d.kill();
      res.setup_error = "the Python interpreter did not start" +
                        (startup_noise.empty() ? std::string() : ": " + startup_noise.substr(0, 2000));
      co_return res;
    }
  }

  CappedOutput out{cap - cap / 5, cap / 5, {}, {}, 0};
  std::string request = std::to_string(code.size()) + "\n" + code;
  const auto started = Clock::now();
  boost::system::error_code wec;
  co_await asio::async_write(d.proc->stdin_pipe(), asio::buffer(request),
                             asio::redirect_error(asio::use_awaitable, wec));

  asio::steady_timer deadline(d.io, timeout);
  auto outcome = co_await (d.read_until_marker(std::ref(out)) || deadline.async_wait(asio::use_awaitable));
  res.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);

  if (outcome.index() == 1) {
    res.timed_out = true;
    d.kill();
  } else if (!std::get<0>(outcome)) {
    res.died = true;
    if (d.proc) {
      d.proc->stdin_pipe().close(wec);
      // The driver is gone; give the sandbox's init a moment to notice and report how.
      asio::steady_timer poll(d.io);
      for (int i = 0; i < 500 && d.proc->running(); ++i) {
        poll.expires_after(std::chrono::milliseconds(10));
        co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, wec));
      }
      if (d.proc->running()) d.proc->kill();
      res.death = describe_exit(d.proc->wait(), d.policy);
    }
    d.kill();
  }
  res.output = out.text();
  res.dropped = out.dropped;
  co_return res;
}

}  // namespace ossa::tools
