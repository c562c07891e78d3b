#include "runtime/environment.hpp"

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "runtime/log.hpp"
#include "tools/browser/browser_tool.hpp"
#include "tools/builtins.hpp"
#include "tools/custom/tool_file.hpp"
#include "tools/mcp/manager.hpp"
#include "tools/net/http_request_tool.hpp"

namespace ossa::runtime {
namespace {

std::chrono::milliseconds ms_of(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

net::NetworkPolicy parse_policy(const Config& cfg) {
  std::string error;
  auto p = net::NetworkPolicy::parse(cfg.network_allowlist, &error);
  if (!p)
    throw ConfigError((cfg.source.empty() ? std::string() : cfg.source + ": ") +
                      "`network.allowlist`: " + error);
  return std::move(*p);
}

std::filesystem::path workspace_of(const Config& cfg) {
  std::filesystem::path ws = cfg.workspace.empty() ? std::filesystem::current_path()
                                                   : std::filesystem::path(cfg.workspace);
  std::error_code ec;
  if (!std::filesystem::is_directory(ws, ec))
    throw ConfigError("workspace " + ws.string() + " is not a directory");
  return std::filesystem::absolute(ws).lexically_normal();
}

}  // namespace

Environment::Environment(const Config& config)
    : config_(config), policy_(parse_policy(config_)), workspace_(workspace_of(config_)) {
  limits_.timeout = ms_of(config_.limits.tool_timeout_s);
  limits_.memory_mib = static_cast<std::size_t>(config_.sandbox_memory_mib);
  limits_.workspace_write_mib = static_cast<std::size_t>(config_.sandbox_workspace_write_mib);
  limits_.allow_degraded = config_.sandbox_policy == "degraded";
  try {
    secrets_ = std::make_shared<const tools::Secrets>(config_.secrets);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }

  net::HttpClientOptions ho;
  ho.policy = policy_;
  ho.proxy = net::ProxySettings::from_environment();
  http_ = std::make_shared<net::HttpClient>(std::move(ho));

  tools::BuiltinOptions bo;
  bo.python_timeout = limits_.timeout;
  tools::add_builtin_tools(registry_, bo);
  try {
    browser::BrowserSettings bs;
    bs.network_allowlist = config_.network_allowlist;
    bs.search_backend = config_.search_backend;
    bs.client = http_;
    browser::add_browser_tools(registry_, browser::make_browser_config(bs));
    // functions.http_request is only kept when `tools` names it, and even then refuses every
    // call until the allowlist has a rule for the target.
    net::HttpRequestToolSettings hs;
    hs.network_allowlist = config_.network_allowlist;
    hs.client = http_;
    net::add_http_request_tool(registry_, hs);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("`network.allowlist`: ") + e.what());
  }
  // `tools` selects among the built-ins; tool files in `tool_dirs` are the user's own choice
  // and always load.
  for (const std::string& missing : registry_.retain(config_.tools))
    log::warn("tool `", missing, "` is not available in this build; skipped");

  tools::ToolFileOptions fo;
  fo.network_rules = config_.network_allowlist;
  fo.http_client = http_;
  fo.secrets = secrets_;
  std::string errors;
  for (const std::string& dir : config_.tool_dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      log::warn("tool folder ", dir, " does not exist; skipped");
      continue;
    }
    tools::LoadReport rep = tools::load_tool_dir(registry_, dir, fo);
    for (const std::string& e : rep.errors) errors += (errors.empty() ? "" : "; ") + e;
    for (const std::string& r : rep.loaded) log::debug("tool ", r, " loaded from ", dir);
  }
  if (!errors.empty()) throw ConfigError("invalid tool files: " + errors);

  // MCP servers come last: a built-in or a tool file keeps its name, the server's tool is
  // skipped with a warning. `${NAME}` in their HTTP headers: the declared secrets only, each
  // sent only to its hosts.
  if (!config_.mcp_servers.empty()) {
    mcp_ = std::make_shared<mcp::Manager>(config_.mcp_servers, workspace_, secrets_);
    warnings_ = mcp::add_mcp_tools(registry_, mcp_, mcp_->start_all());
    for (const std::string& w : warnings_) log::warn(w);
  }
}

Environment::~Environment() = default;

tools::ToolContext Environment::tool_context(boost::asio::any_io_executor executor,
                                             tools::ToolSession* session) const {
  tools::ToolContext ctx;
  ctx.executor = std::move(executor);
  ctx.workspace = workspace_;
  ctx.session = session;
  ctx.limits = limits_;
  ctx.protect_git = config_.sandbox_protect_git;
  ctx.secrets = secrets_;
  return ctx;
}

}  // namespace ossa::runtime
