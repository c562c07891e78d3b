// `ossa tools list` and `ossa tools call NAME [BODY]`: the agent's tools outside any model,
// built by the same Environment `ossa run` builds from the same configuration and flags, so
// what is listed is what the agent gets and a call runs with the agent's limits. `call`
// prints the result as JSON on stdout; the body is the second argument or, when absent or
// "-", read from stdin (python source and patches are easier to pipe).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "runtime/cli/command.hpp"
#include "runtime/json_output.hpp"
#include "runtime/config_flags.hpp"
#include "runtime/environment.hpp"

namespace {

using ossa::tools::Json;

struct Options {
  ossa::runtime::ConfigFlags flags;
  std::string name;
  std::string body;
  bool body_given = false;
};

std::unique_ptr<ossa::runtime::Environment> environment(const Options& o) {
  ossa::runtime::Config cfg = o.flags.effective();
  try {
    return std::make_unique<ossa::runtime::Environment>(cfg);
  } catch (const ossa::runtime::ConfigError& e) {
    throw ossa::cli::UsageError(e.what());
  }
}

int list(const Options& o) {
  auto env = environment(o);
  const ossa::tools::Registry& reg = env->registry();
  Json tools = Json::array();
  for (const auto& t : reg.tools()) {
    const auto& s = t->spec();
    tools.push_back(Json{{"recipient", s.recipient()},
                         {"body", s.body == ossa::tools::BodyKind::json ? "json" : "text"},
                         {"needs_approval", s.needs_approval},
                         {"needs_network", s.needs_network}});
  }
  Json out{{"tools", tools},
           {"system_tools", reg.system_tools()},
           {"developer_tools", reg.developer_tools()},
           {"warnings", env->warnings()}};
  ossa::out::print_json_ordered(out);
  return 0;
}

int call(Options o) {
  auto env = environment(o);
  if (!o.body_given || o.body == "-")
    o.body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());

  boost::asio::io_context io;
  ossa::tools::ToolSession session;
  ossa::tools::ToolContext ctx = env->tool_context(io.get_executor(), &session);
  ossa::tools::ToolCall c;
  c.recipient = o.name;
  c.body = o.body;
  auto fut = boost::asio::co_spawn(io, env->registry().dispatch(std::move(c), ctx),
                                   boost::asio::use_future);
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready && io.run_one()) {
  }
  ossa::tools::ToolResult r = fut.get();
  Json out{{"tool", r.metadata.value("tool", o.name)},
           {"is_error", r.is_error},
           {"text", r.text},
           {"metadata", r.metadata}};
  // The tool's text may be any bytes: print_json replaces invalid UTF-8 rather than failing.
  ossa::out::print_json_ordered(out);
  return r.is_error ? 1 : 0;
}

ossa::cli::Run setup(CLI::App& cmd) {
  auto o = std::make_shared<Options>();
  cmd.require_subcommand(1);
  CLI::App* l = cmd.add_subcommand(
      "list", "Print the agent's tools and the namespaces the model is shown, as JSON");
  o->flags.add_to(*l);
  CLI::App* c = cmd.add_subcommand(
      "call", "Run one of the agent's tools and print its result as JSON (exit 1 when the "
              "result is an error)");
  o->flags.add_to(*c);
  c->add_option("name", o->name,
                "Recipient, e.g. python, functions.shell, browser.search, SERVER.TOOL (MCP)")
      ->required();
  c->add_option("body", o->body,
                "Arguments JSON (or raw text for python/apply_patch); '-' or absent: stdin")
      ->each([o](const std::string&) { o->body_given = true; });
  const char* footer =
      "The tools are those `ossa run` gets from the same configuration (--config, --tools, "
      "--tools-dir, --allow..., and its [mcp_servers]); limits come from it too (--tool-timeout).";
  l->footer(footer);
  c->footer(footer);
  return [o, l] {
    if (l->parsed()) return list(*o);
    return call(*o);
  };
}

}  // namespace

OSSA_CLI_COMMAND(tools, "List the agent's tools, or run one outside any model (result as JSON)",
                 setup);
