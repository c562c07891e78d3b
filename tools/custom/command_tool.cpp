#include "tools/custom/command_tool.hpp"

#include "tools/custom/template.hpp"
#include "tools/exec/sandboxed_run.hpp"

namespace ossa::tools::custom {
namespace {

class CommandTool final : public Tool {
 public:
  CommandTool(ToolSpec spec, CommandBinding binding)
      : spec_(std::move(spec)), binding_(std::move(binding)) {}
  const ToolSpec& spec() const override { return spec_; }

  boost::asio::awaitable<ToolResult> invoke(const ToolCall& call, ToolContext& ctx) override {
    ToolContext limited = ctx;
    if (binding_.timeout) limited.limits.timeout = std::min(*binding_.timeout, ctx.limits.timeout);
    if (binding_.memory_mib) limited.limits.memory_mib = *binding_.memory_mib;
    if (binding_.max_output_bytes) limited.limits.max_output_bytes = *binding_.max_output_bytes;
    sandbox::Policy policy = exec_policy(limited);
    for (const auto& p : binding_.read_only) policy.read_only.push_back(p);
    for (const auto& kv : binding_.env) policy.env.push_back(kv);

    const std::vector<std::pair<std::string, std::string>> extra = {
        {"tool_dir", binding_.tool_dir.string()}, {"workspace", kWorkspaceMount}};
    auto identity = [](std::string_view s) { return std::string(s); };
    std::vector<std::string> argv;
    for (const auto& tmpl : binding_.argv) {
      Expanded e = expand_arguments(tmpl, call.arguments, identity, extra);
      // An element that is nothing but a placeholder for an absent optional argument goes away.
      if (!e.missing.empty() && placeholders(tmpl).size() == 1 && tmpl.front() == '{' &&
          tmpl.back() == '}')
        continue;
      argv.push_back(std::move(e.text));
    }
    SandboxedRun run = co_await run_sandboxed(io_context_of(ctx), policy, argv,
                                              call.arguments.dump(), limited.limits.max_output_bytes);
    if (!run.setup_error.empty())
      co_return ToolResult::failure("The tool could not start: " + run.setup_error);
    const sandbox::Result& r = run.result;
    Json meta{{"exit_code", r.exit_code}, {"signal", r.signal}, {"timed_out", r.timed_out},
              {"wall_ms", r.usage.wall.count() / 1000.0}, {"stdout_bytes_dropped", run.out.dropped}};
    if (r.exit_code == 0 && !r.timed_out) {
      std::string text = with_drop_marker(run.out);
      if (text.empty()) text = "(no output)";
      co_return ToolResult::success(text, meta);
    }
    std::string text = "The tool's program " + describe_exit(r, policy) + ".";
    if (!run.err.text.empty()) text += "\n" + with_drop_marker(run.err);
    else if (!run.out.text.empty()) text += "\n" + with_drop_marker(run.out);
    co_return ToolResult::failure(text, meta);
  }

 private:
  ToolSpec spec_;
  CommandBinding binding_;
};

}  // namespace

std::shared_ptr<Tool> make_command_tool(ToolSpec spec, CommandBinding binding) {
  return std::make_shared<CommandTool>(std::move(spec), std::move(binding));
}

}  // namespace ossa::tools::custom
