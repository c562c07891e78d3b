#include "runtime/environment.hpp"

#include <algorithm>
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
    if (config_.search_backend.rfind("local:", 0) == 0) {
      std::error_code ec;
      if (!std::filesystem::is_directory(config_.search_backend.substr(6), ec))
        throw ConfigError("`[search] backend` (--search) \"" + config_.search_backend +
                          "\": " + config_.search_backend.substr(6) + " is not a folder");
    }
    auto browser_config = browser::make_browser_config(bs);
    // A backend the user named that cannot work is an error now, not at the model's first search.
    if (!config_.search_backend.empty() && !browser_config->backend)
      throw ConfigError("`[search] backend` (--search) \"" + config_.search_backend +
                        "\": " + browser_config->missing_backend_reason);
    browser::add_browser_tools(registry_, browser_config);
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
  // and always load. A name that matches no built-in must be one of theirs (functions.NAME
  // from a tool file or an MCP server), checked once those are loaded.
  const std::vector<std::string> builtin_names = [&] {
    std::vector<std::string> v;
    for (const auto& t : registry_.tools()) v.push_back(t->spec().recipient());
    return v;
  }();
  const std::vector<std::string> unmatched = registry_.retain(config_.tools);

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
  check_named_tools(unmatched, builtin_names);
}

// Every name in `tools` that no built-in took must now be in the registry; otherwise the
// error says what exists and, for functions.NAME, where the tool files were looked for.
void Environment::check_named_tools(const std::vector<std::string>& unmatched,
                                    const std::vector<std::string>& builtin_names) const {
  for (const std::string& name : unmatched) {
    bool found = false;
    for (const auto& t : registry_.tools()) {
      const tools::ToolSpec& s = t->spec();
      if (name == s.recipient() || name == s.ns || (!s.name.empty() && name == s.name)) found = true;
    }
    if (found) continue;
    if (name == "browser.search")
      throw ConfigError("`tools` names browser.search, which needs a search backend: set "
                        "`[search] backend` or --search to searxng:<URL> or local:<folder>");
    if (name.rfind("functions.", 0) == 0) {
      std::string where;
      for (const std::string& d : config_.tool_dirs) where += (where.empty() ? "" : ", ") + d;
      throw ConfigError("`tools` names " + name + " but no tool file defines it (" +
                        (where.empty() ? std::string("no tool folder given: pass --tools-dir DIR or "
                                                     "set `tools.dirs`")
                                       : "looked in " + where) +
                        ")");
    }
    // What `tools` accepts for each built-in: its namespace (browser), or its name.
    std::vector<std::string> names;
    for (const std::string& b : builtin_names) {
      std::string n = b.rfind("functions.", 0) == 0 ? b.substr(10) : b.substr(0, b.find('.'));
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    throw ConfigError("`tools`: unknown tool `" + name + "` (built-in tools: " + known +
                      "; a tool file's tool is functions.NAME)");
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
