#include "tools/exec/sandboxed_run.hpp"

#include <string.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <csignal>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace ossa::tools {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

asio::awaitable<void> read_capped(asio::posix::stream_descriptor& pipe, CapturedStream& into,
                                  std::size_t cap) {
  char buf[16384];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await pipe.async_read_some(asio::buffer(buf),
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (n > 0) {
      std::size_t room = into.text.size() < cap ? cap - into.text.size() : 0;
      std::size_t keep = std::min(room, n);
      into.text.append(buf, keep);
      into.dropped += n - keep;
    }
    if (ec) co_return;  // eof once every holder of the pipe is gone, or an error
  }
}

asio::awaitable<void> feed(asio::posix::stream_descriptor& pipe, const std::string& input) {
  boost::system::error_code ec;
  if (!input.empty())
    co_await asio::async_write(pipe, asio::buffer(input), asio::redirect_error(asio::use_awaitable, ec));
  pipe.close(ec);  // EOF for the program (also when it stopped reading: EPIPE is fine)
}

asio::awaitable<sandbox::Result> wait_for(sandbox::Process& p) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(sandbox::Result)>(
      [&p](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        p.async_wait([h](const sandbox::Result& r) { (*h)(r); });
      },
      asio::use_awaitable);
}

// The workspace's size when this process first ran sandboxed code in it: the write budget
// counts from there, across every tool and session of the process (a budget per run would let
// repeated runs fill the disk a budget at a time). An unmeasurable folder counts as empty; spawn
// then measures it again and says why it cannot run.
std::uint64_t workspace_baseline(const std::filesystem::path& workspace) {
  static std::mutex mu;
  static std::map<std::filesystem::path, std::uint64_t> seen;
  std::error_code ec;
  std::filesystem::path key = std::filesystem::weakly_canonical(workspace, ec);
  if (ec) key = workspace;
  std::lock_guard lock(mu);
  if (auto it = seen.find(key); it != seen.end()) return it->second;
  std::uint64_t bytes = 0;
  try {
    bytes = sandbox::workspace_bytes(workspace).bytes;
  } catch (const sandbox::Error&) {
  }
  seen.emplace(key, bytes);
  return bytes;
}

}  // namespace

asio::io_context& io_context_of(const ToolContext& ctx) {
  if (!ctx.executor) throw std::logic_error("the tool context has no executor");
  using IoExecutor = asio::io_context::executor_type;
  if (const auto* ex = ctx.executor.target<IoExecutor>()) return ex->context();
  if (const auto* st = ctx.executor.target<asio::strand<IoExecutor>>())
    return st->get_inner_executor().context();
  throw std::logic_error("tools that run programs need an io_context (or strand) executor");
}

asio::awaitable<SandboxedRun> run_sandboxed(asio::io_context& io, sandbox::Policy policy,
                                            std::vector<std::string> argv, std::string input,
                                            std::size_t cap) {
  SandboxedRun run;
  std::unique_ptr<sandbox::Process> proc;
  try {
    proc = sandbox::Sandbox::spawn(io, policy, argv);
  } catch (const std::exception& e) {
    run.setup_error = e.what();
    co_return run;
  }
  co_await (feed(proc->stdin_pipe(), input) && read_capped(proc->stdout_pipe(), run.out, cap) &&
            read_capped(proc->stderr_pipe(), run.err, cap));
  if (run.out.dropped || run.err.dropped) proc->note_output_truncated();
  run.result = co_await wait_for(*proc);
  co_return run;
}

sandbox::Policy exec_policy(const ToolContext& ctx) {
  sandbox::Policy p;
  p.workspace = ctx.workspace;
  p.workspace_mount = kWorkspaceMount;
  p.cwd = kWorkspaceMount;
  p.protect_git = ctx.protect_git;
  p.network = sandbox::Network::none;
  p.limits.wall_timeout = ctx.limits.timeout;
  p.limits.cpu_seconds = static_cast<unsigned>(
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(ctx.limits.timeout).count() + 1));
  p.limits.memory_bytes = static_cast<std::uint64_t>(ctx.limits.memory_mib) << 20;
  p.limits.max_processes = static_cast<unsigned>(ctx.limits.max_processes);
  p.limits.max_file_bytes = static_cast<std::uint64_t>(ctx.limits.max_file_mib) << 20;
  p.limits.max_output_bytes = ctx.limits.max_output_bytes;
  if (ctx.limits.workspace_write_mib && !ctx.workspace.empty())
    p.limits.workspace_max_bytes =
        workspace_baseline(ctx.workspace) + (static_cast<std::uint64_t>(ctx.limits.workspace_write_mib) << 20);
  p.allow_degraded = ctx.limits.allow_degraded;
  p.env = {{"HOME", "/tmp"}, {"LANG", "C.UTF-8"}, {"MPLBACKEND", "Agg"}};
  return p;
}

std::string describe_exit(const sandbox::Result& r, const sandbox::Policy& policy) {
  std::ostringstream s;
  if (r.timed_out) {
    s << "timed out after " << policy.limits.wall_timeout.count() / 1000.0 << " s and was killed";
  } else if (r.out_of_memory) {
    s << "ran out of memory (limit " << (policy.limits.memory_bytes >> 20) << " MiB) and was killed";
  } else if (r.workspace_full) {
    s << "filled the workspace past its byte budget (" << (policy.limits.workspace_max_bytes >> 20)
      << " MiB in all; [sandbox] workspace_write_mib) and was killed";
  } else if (r.signal > 0) {
    const char* abbrev = sigabbrev_np(r.signal);
    s << "was killed by signal " << r.signal << (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
  } else {
    s << "exited with status " << r.exit_code;
  }
  return s.str();
}

std::string with_drop_marker(const CapturedStream& s) {
  if (!s.dropped) return s.text;
  return s.text + "\n[... " + std::to_string(s.dropped) + " more bytes not shown ...]\n";
}

}  // namespace ossa::tools
