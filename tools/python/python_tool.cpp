#include "tools/python/python_tool.hpp"

#include <sstream>

#include "tools/arguments.hpp"
#include "tools/exec/sandboxed_run.hpp"
#include "tools/python/interpreter.hpp"

namespace ossa::tools {
namespace {

std::string seconds_text(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << ms.count() / 1000.0;
  return s.str();
}

class PythonTool final : public Tool {
 public:
  PythonTool() {
    spec_.ns = "python";
    spec_.description = python_namespace_description(std::chrono::seconds(120));
    spec_.body = BodyKind::text;
  }
  const ToolSpec& spec() const override { return spec_; }

  boost::asio::awaitable<ToolResult> invoke(const ToolCall& call, ToolContext& ctx) override {
    std::string code = unwrap_text_body(call.body, {"code", "input", "source", "script"});
    auto& io = io_context_of(ctx);
    auto make = [&] {
      return std::make_shared<PythonInterpreter>(io, exec_policy(ctx));
    };
    std::shared_ptr<PythonInterpreter> scratch;  // no session: an interpreter for this call only
    PythonInterpreter* interp = nullptr;
    if (ctx.session) {
      interp = &ctx.session->get_or_create<PythonInterpreter>("python", make);
    } else {
      scratch = make();
      interp = scratch.get();
    }
    CellResult cell = co_await interp->run(std::move(code), ctx.limits.timeout,
                                           ctx.limits.max_output_bytes);
    Json meta{{"elapsed_ms", cell.elapsed.count() / 1000.0},
              {"output_bytes_dropped", cell.dropped},
              {"fresh_interpreter", cell.fresh},
              {"timed_out", cell.timed_out},
              {"interpreter_died", cell.died}};
    if (!cell.setup_error.empty())
      co_return ToolResult::failure("[ERROR] The Python sandbox could not start: " + cell.setup_error, meta);
    std::string text = cell.output;
    const std::string lost =
        " The Python interpreter has been restarted: variables, imports and definitions from "
        "earlier cells are gone (files in " + std::string(kWorkspaceMount) + " are kept).";
    if (cell.timed_out) {
      if (!text.empty() && text.back() != '\n') text += '\n';
      text += "[ERROR] Execution timed out after " + seconds_text(ctx.limits.timeout) + " seconds." + lost;
      co_return ToolResult::failure(text, meta);
    }
    if (cell.died) {
      meta["death"] = cell.death;
      if (!text.empty() && text.back() != '\n') text += '\n';
      text += "[ERROR] The Python interpreter " + cell.death + " while running this cell." + lost;
      co_return ToolResult::failure(text, meta);
    }
    if (text.empty())
      text = "[WARN] No output available. Use print() to output anything to stdout to receive the output";
    co_return ToolResult::success(text, meta);
  }

 private:
  ToolSpec spec_;
};

}  // namespace

std::string python_namespace_description(std::chrono::milliseconds timeout) {
  return "Use this tool to execute Python code in your chain of thought. The code will not be "
         "shown to the user. This tool should be used for internal reasoning, but not for code "
         "that is intended to be visible to the user (e.g. when creating plots, tables, or "
         "files).\n\nWhen you send a message containing Python code to python, it will be "
         "executed in a stateful Jupyter notebook environment. python will respond with the "
         "output of the execution or time out after " + seconds_text(timeout) +
         " seconds. The drive at '" + std::string(kWorkspaceMount) +
         "' can be used to save and persist user files. "
         "Internet access for this session is disabled.";
}

std::shared_ptr<Tool> make_python_tool() { return std::make_shared<PythonTool>(); }

}  // namespace ossa::tools
