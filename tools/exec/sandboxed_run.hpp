#pragma once
// Running a program in the sandbox from a coroutine: input fed, stdout/stderr read
// concurrently with caps (head kept, the rest counted), the result awaited without blocking the
// event loop. Used by the shell tool and command-bound user tools.
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <string>
#include <vector>

#include "sandbox/sandbox.hpp"
#include "tools/tool.hpp"

namespace boost::asio {
class io_context;
}

namespace ossa::tools {

struct CapturedStream {
  std::string text;         // the first `cap` bytes
  std::size_t dropped = 0;  // bytes past the cap
};

struct SandboxedRun {
  sandbox::Result result;
  CapturedStream out, err;
  std::string setup_error;  // non-empty when the sandbox could not start (nothing ran)
};

// The io_context behind ctx.executor (the sandbox's pipes live on it). Throws
// std::logic_error when the executor is not an io_context's.
boost::asio::io_context& io_context_of(const ToolContext& ctx);

boost::asio::awaitable<SandboxedRun> run_sandboxed(boost::asio::io_context& io,
                                                   sandbox::Policy policy,
                                                   std::vector<std::string> argv,
                                                   std::string input, std::size_t cap);

// The sandbox policy for code run on the model's behalf: ctx.workspace read-write at
// kWorkspaceMount (cwd there), no network, ctx.limits applied (wall timeout =
// ctx.limits.timeout).
sandbox::Policy exec_policy(const ToolContext& ctx);

// "killed by signal 9 (SIGKILL)", "exited with status 3", "timed out after 2.0 s", ...
std::string describe_exit(const sandbox::Result& r, const sandbox::Policy& policy);

// The text of a capped stream with a marker saying how much was left out.
std::string with_drop_marker(const CapturedStream& s);

}  // namespace ossa::tools
