// `ossa tools list` and `ossa tools call NAME [BODY]`: the registry the agent uses, outside any
// model. `call` prints the result as JSON on stdout; the body is the second argument or, when
// absent or "-", read from stdin (python source and patches are easier to pipe).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "runtime/cli/command.hpp"
#include "runtime/config.hpp"
#include "tools/browser/browser_tool.hpp"
#include "tools/builtins.hpp"
#include "tools/custom/tool_file.hpp"
#include "tools/net/http_request_tool.hpp"
#include "tools/registry.hpp"

namespace {

using ossa::tools::Json;

struct Options {
  std::vector<std::string> tool_dirs;
  std::vector<std::string> allow;  // network policy rules for http tools and the browser
  std::string search;              // browser search backend
  std::string workspace;
  std::string config;  // only its [secrets] are used
  double timeout_s = 120;
  std::size_t max_output = 64 * 1024;
  std::size_t memory_mib = 2048;
  std::string name;
  std::string body;
  bool body_given = false;
};

struct Built {
  ossa::tools::Registry registry;
  std::vector<std::string> errors;
};

// The secrets `[secrets]` of the configuration file declares (the only ones `${NAME}` may use).
std::shared_ptr<const ossa::tools::Secrets> secrets_of(const Options& o) {
  try {
    return std::make_shared<const ossa::tools::Secrets>(ossa::runtime::load_config(o.config).secrets);
  } catch (const ossa::runtime::ConfigError& e) {
    throw ossa::cli::UsageError(e.what());
  }
}

Built build(const Options& o) {
  Built b;
  ossa::tools::add_builtin_tools(b.registry);
  ossa::browser::BrowserSettings bs;
  bs.network_allowlist = o.allow;
  bs.search_backend = o.search;
  ossa::browser::add_browser_tools(b.registry, ossa::browser::make_browser_config(bs));
  ossa::net::HttpRequestToolSettings hs;
  hs.network_allowlist = o.allow;  // empty: every call is refused with the rule to add
  ossa::net::add_http_request_tool(b.registry, hs);
  ossa::tools::ToolFileOptions fo;
  fo.network_rules = o.allow;
  fo.secrets = secrets_of(o);
  for (const auto& dir : o.tool_dirs) {
    auto report = ossa::tools::load_tool_dir(b.registry, dir, fo);
    for (auto& e : report.errors) b.errors.push_back(std::move(e));
  }
  return b;
}

void add_common(CLI::App& cmd, Options& o) {
  // One value per occurrence, so that the positional NAME and BODY are not swallowed.
  cmd.add_option("--tools-dir", o.tool_dirs, "Folder of tool files (*.json); repeatable")
      ->allow_extra_args(false);
  cmd.add_option("--allow", o.allow,
                 "Network rule [scheme://]host[:port] for http tools and the browser; repeatable")
      ->allow_extra_args(false);
  cmd.add_option("--search", o.search, "Browser search backend: searxng:<URL> or local:<folder>");
  cmd.add_option("--config", o.config,
                 "Configuration file whose [secrets] HTTP tools may use (default ~/.config/ossa/config.toml)");
}

int list(const Options& o) {
  Built b = build(o);
  Json tools = Json::array();
  for (const auto& t : b.registry.tools()) {
    const auto& s = t->spec();
    tools.push_back(Json{{"recipient", s.recipient()},
                         {"body", s.body == ossa::tools::BodyKind::json ? "json" : "text"},
                         {"needs_approval", s.needs_approval},
                         {"needs_network", s.needs_network}});
  }
  Json out{{"tools", tools},
           {"system_tools", b.registry.system_tools()},
           {"developer_tools", b.registry.developer_tools()},
           {"errors", b.errors}};
  std::cout << out.dump(2) << "\n";
  for (const auto& e : b.errors) std::cerr << "ossa tools: " << e << "\n";
  return b.errors.empty() ? 0 : 1;
}

int call(Options o) {
  Built b = build(o);
  for (const auto& e : b.errors) std::cerr << "ossa tools: " << e << "\n";
  if (!o.body_given || o.body == "-")
    o.body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::filesystem::path ws = o.workspace.empty() ? std::filesystem::current_path()
                                                 : std::filesystem::path(o.workspace);
  if (!std::filesystem::is_directory(ws))
    throw ossa::cli::UsageError("--workspace " + ws.string() + " is not a directory");

  boost::asio::io_context io;
  ossa::tools::ToolSession session;
  ossa::tools::ToolContext ctx;
  ctx.executor = io.get_executor();
  ctx.workspace = std::filesystem::absolute(ws);
  ctx.session = &session;
  ctx.limits.timeout = std::chrono::milliseconds(static_cast<long long>(o.timeout_s * 1000));
  ctx.limits.max_output_bytes = o.max_output;
  ctx.limits.memory_mib = o.memory_mib;
  ctx.secrets = secrets_of(o);
  ossa::tools::ToolCall c;
  c.recipient = o.name;
  c.body = o.body;
  auto fut = boost::asio::co_spawn(io, b.registry.dispatch(std::move(c), ctx), boost::asio::use_future);
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready && io.run_one()) {
  }
  ossa::tools::ToolResult r = fut.get();
  Json out{{"tool", r.metadata.value("tool", o.name)},
           {"is_error", r.is_error},
           {"text", r.text},
           {"metadata", r.metadata}};
  std::cout << out.dump(2) << "\n";
  return r.is_error ? 1 : 0;
}

ossa::cli::Run setup(CLI::App& cmd) {
  auto o = std::make_shared<Options>();
  cmd.require_subcommand(1);
  CLI::App* l = cmd.add_subcommand("list", "Print the tools and the namespaces the model is shown, as JSON");
  add_common(*l, *o);
  CLI::App* c = cmd.add_subcommand(
      "call", "Run one tool and print its result as JSON (exit 1 when the result is an error)");
  add_common(*c, *o);
  c->add_option("name", o->name, "Recipient, e.g. python, functions.shell, browser.search")->required();
  c->add_option("body", o->body, "Arguments JSON (or raw text for python/apply_patch); '-' or absent: stdin")
      ->each([o](const std::string&) { o->body_given = true; });
  c->add_option("--workspace", o->workspace, "Folder the tool acts in (default: current directory)");
  c->add_option("--timeout", o->timeout_s, "Seconds per python cell / shell command (default 120)");
  c->add_option("--max-output", o->max_output, "Bytes of output shown (default 65536)");
  c->add_option("--memory", o->memory_mib, "MiB of memory for sandboxed code (default 2048)");
  return [o, l, c] {
    if (l->parsed()) return list(*o);
    return call(*o);
  };
}

}  // namespace

OSSA_CLI_COMMAND(tools, "List the tools, or run one outside any model (result as JSON)", setup);
