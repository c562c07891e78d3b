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
  std::string pending;  // bytes of stdout not yet parsed into records

  Impl(asio::io_context& i, sandbox::Policy p) : io(i), policy(std::move(p)) {}

  // Reads records up to the next end (b"E") or ready (b"R") record, passing output payloads to
  // sink(); false when the interpreter is gone (EOF), the stream is not records, or the read
  // was cancelled. Only the driver's framer writes this stream (see driver.py): what a cell
  // prints arrives as payload and cannot end its cell.
  template <class Sink>
  asio::awaitable<bool> read_until_end(Sink sink) {
    for (;;) {
      while (pending.size() >= 5) {
        const char kind = pending[0];
        const std::size_t length = (std::size_t(std::uint8_t(pending[1])) << 24) |
                                   (std::size_t(std::uint8_t(pending[2])) << 16) |
                                   (std::size_t(std::uint8_t(pending[3])) << 8) |
                                   std::size_t(std::uint8_t(pending[4]));
        if (kind != 'O' && kind != 'E' && kind != 'R') {
          sink("\n[the Python driver sent a malformed record]\n");
          co_return false;
        }
        if (kind == 'O' && pending.size() < 5 + length) {
          // Pass on what has arrived of a large record; keep the header for the rest.
          sink(std::string_view(pending).substr(5));
          const std::size_t left = length - (pending.size() - 5);
          pending.resize(5);
          pending[1] = char(left >> 24), pending[2] = char(left >> 16), pending[3] = char(left >> 8),
          pending[4] = char(left);
          break;
        }
        if (pending.size() < 5 + length) break;
        if (kind == 'O') sink(std::string_view(pending).substr(5, length));
        pending.erase(0, 5 + length);
        if (kind != 'O') co_return true;
      }
      char buf[65536];
      boost::system::error_code ec;
      std::size_t n = co_await proc->stdout_pipe().async_read_some(
          asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      pending.append(buf, n);
      if (ec) co_return false;
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
    try {
      d.proc = sandbox::Sandbox::spawn(d.io, d.policy,
                                       {"/usr/bin/python3", "-I", "-c",
                                        std::string(python_driver_source())});
    } catch (const std::exception& e) {
      res.setup_error = e.what();
      co_return res;
    }
    res.fresh = true;
    std::string startup_noise;
    asio::steady_timer startup(d.io, kStartupTimeout);
    auto ready = co_await (d.read_until_end([&](std::string_view s) { startup_noise += s; }) ||
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
  asio::steady_timer deadline(d.io, timeout);
  // Written while reading: output waiting in the pipe must not block a large cell's source.
  auto send = [&]() -> asio::awaitable<void> {
    co_await asio::async_write(d.proc->stdin_pipe(), asio::buffer(request),
                               asio::redirect_error(asio::use_awaitable, wec));
  };
  auto outcome = co_await ((send() && d.read_until_end(std::ref(out))) ||
                           deadline.async_wait(asio::use_awaitable));
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
