#include "tools/shell_tool.hpp"

#include <filesystem>
#include <sstream>

#include "tools/exec/sandboxed_run.hpp"

namespace ossa::tools {
namespace {

class ShellTool final : public Tool {
 public:
  ShellTool() {
    spec_.ns = "functions";
    spec_.name = "shell";
    spec_.description =
        std::string("Runs a command in the workspace (the drive at '") + kWorkspaceMount +
        "', the working directory) inside a sandbox without network access, and returns its "
        "exit code, stdout and stderr.";
    spec_.parameters = Json::parse(R"({
      "type": "object",
      "properties": {
        "command": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                    "description": "The program and its arguments, e.g. [\"bash\", \"-lc\", \"ls -la\"]"},
        "workdir": {"type": "string", "description": "Working directory relative to the workspace"},
        "timeout_ms": {"type": "number", "description": "Time limit in milliseconds"}
      },
      "required": ["command"],
      "additionalProperties": false
    })");
    spec_.needs_approval = true;
  }
  const ToolSpec& spec() const override { return spec_; }

  boost::asio::awaitable<ToolResult> invoke(const ToolCall& call, ToolContext& ctx) override {
    std::vector<std::string> argv = call.arguments.at("command").get<std::vector<std::string>>();
    sandbox::Policy policy = exec_policy(ctx);
    if (call.arguments.contains("workdir")) {
      std::filesystem::path wd =
          std::filesystem::path(call.arguments["workdir"].get<std::string>()).lexically_normal();
      if (wd.is_absolute()) wd = wd.lexically_relative(kWorkspaceMount);
      if (wd.empty() || *wd.begin() == "..")
        co_return ToolResult::failure(std::string("`workdir` must be a folder inside the workspace (") +
                                      kWorkspaceMount + ").");
      if (wd != ".") policy.cwd = std::string(kWorkspaceMount) + "/" + wd.generic_string();
    }
    if (call.arguments.contains("timeout_ms")) {
      auto ms = std::chrono::milliseconds(
          static_cast<long long>(std::max(1.0, call.arguments["timeout_ms"].get<double>())));
      policy.limits.wall_timeout = std::min(ms, ctx.limits.timeout);
      policy.limits.cpu_seconds = static_cast<unsigned>(policy.limits.wall_timeout.count() / 1000 + 1);
    }
    SandboxedRun run = co_await run_sandboxed(io_context_of(ctx), policy, argv, {},
                                              ctx.limits.max_output_bytes);
    if (!run.setup_error.empty())
      co_return ToolResult::failure("The sandbox could not start the command: " + run.setup_error);
    const sandbox::Result& r = run.result;
    std::ostringstream text;
    text.setf(std::ios::fixed);
    text.precision(2);
    if (r.exit_code >= 0 && !r.timed_out && !r.workspace_full) text << "Exit code: " << r.exit_code << "\n";
    else text << "The command " << describe_exit(r, policy) << ".\n";
    text << "Wall time: " << r.usage.wall.count() / 1e6 << " s\n";
    text << "Output:\n" << with_drop_marker(run.out);
    if (!run.err.text.empty()) text << (run.out.text.empty() || run.out.text.back() == '\n' ? "" : "\n")
                                    << "Stderr:\n" << with_drop_marker(run.err);
    Json meta{{"exit_code", r.exit_code},       {"signal", r.signal},
              {"timed_out", r.timed_out},       {"out_of_memory", r.out_of_memory},
              {"workspace_full", r.workspace_full},
              {"wall_ms", r.usage.wall.count() / 1000.0},
              {"stdout_bytes_dropped", run.out.dropped}, {"stderr_bytes_dropped", run.err.dropped}};
    bool failed = r.timed_out || r.out_of_memory || r.workspace_full || (r.exit_code < 0 && r.signal > 0);
    co_return failed ? ToolResult::failure(text.str(), meta) : ToolResult::success(text.str(), meta);
  }

 private:
  ToolSpec spec_;
};

}  // namespace

std::shared_ptr<Tool> make_shell_tool() { return std::make_shared<ShellTool>(); }

}  // namespace ossa::tools
