#pragma once
// The tools a session offers, the namespaces the model is shown, and the route from a
// recipient the model wrote to the tool that runs.
//
//   tools::Registry reg;
//   tools::add_builtin_tools(reg, {});                     // python, shell, apply_patch
//   tools::load_tool_dir(reg, "~/.config/ossa/tools");     // user tools (tool_file.hpp)
//   json sys = reg.system_tools();      // -> harmony SystemContent "tools" map (python, browser)
//   json dev = reg.developer_tools();   // -> harmony DeveloperContent "tools" map (functions...)
//   ToolResult r = co_await reg.dispatch(call, ctx);       // never throws
//
// Namespaces are plain JSON in the shape harmony's renderer takes:
//   {"name": ns, "description": text|null,
//    "tools": [{"name": n, "description": d, "parameters": schema|null}, ...]}
// keyed by namespace name. `python` and `browser` are system namespaces (built-ins the model
// was trained on); every other namespace goes to the developer message.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/tool.hpp"

namespace ossa::tools {

// True for the namespaces harmony declares in the system message (python, browser).
bool is_system_namespace(std::string_view ns);

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(Registry&&) noexcept;
  Registry& operator=(Registry&&) noexcept;

  // Adds a tool. Throws std::invalid_argument when its recipient is already taken or its
  // parameters are not a usable JSON Schema (the message names the tool).
  void add(std::shared_ptr<Tool> tool);
  // Removes the tool with this canonical recipient; false when there was none.
  bool remove(std::string_view recipient);
  // Description of a namespace (browser's citation rules, python's notebook paragraph).
  // Namespaces without one render with description null.
  void describe_namespace(std::string ns, std::string description);
  // An extra spelling of a recipient: add_alias("container.exec", "functions.shell").
  void add_alias(std::string alias, std::string recipient);

  // The tool with this canonical recipient, or null.
  std::shared_ptr<Tool> find(std::string_view recipient) const;
  // Every tool, sorted by recipient.
  std::vector<std::shared_ptr<Tool>> tools() const;
  // Keeps only the tools selected by `names`: a namespace ("browser"), a recipient
  // ("functions.shell") or a bare function name ("shell"). Returns the names that matched
  // nothing (the caller reports them).
  std::vector<std::string> retain(const std::vector<std::string>& names);

  struct Resolution {
    std::shared_ptr<Tool> tool;  // null when unresolved
    std::string recipient;       // canonical recipient when resolved
    std::string error;           // model-readable reason when unresolved
  };
  // Resolves what the model wrote. Accepted, in order: the canonical recipient; a registered
  // alias; trailing content-type words (`functions.f <|constrain|>json`) ignored; `functions.`
  // before a built-in (`functions.python`, `functions.browser.search`); `python.<anything>`
  // (the reference routes every `python` prefix to python); a bare function name that exactly
  // one namespace has (`apply_patch` -> functions.apply_patch).
  Resolution resolve(std::string_view recipient) const;

  // harmony tools maps (see top of file); empty objects when there is nothing to show.
  Json system_tools() const;
  Json developer_tools() const;
  // The concatenated Tool::instructions() of the registered tools (for the developer message).
  std::string instructions() const;

  // A call made ready to run: resolved, body parsed/repaired/validated. `error` set = the
  // call must not run; send error->text back to the model. Lets the runtime ask for approval
  // between preparing and running.
  struct Prepared {
    std::shared_ptr<Tool> tool;
    ToolCall call;                     // with `arguments` filled in
    std::optional<ToolResult> error;
    Json notes = Json::object();  // repairs applied, alias used
  };
  Prepared prepare(ToolCall call) const;
  // Runs a prepared call; exceptions escaping the tool become a failure result.
  static boost::asio::awaitable<ToolResult> run(Prepared prepared, ToolContext& ctx);
  // prepare() then run(). Never throws.
  boost::asio::awaitable<ToolResult> dispatch(ToolCall call, ToolContext& ctx) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ossa::tools
