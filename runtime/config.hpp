#pragma once
// The effective configuration of an agent run: defaults, overridden by a TOML file
// (~/.config/ossa/config.toml, or --config FILE), overridden by command-line flags.
//
//   ossa::runtime::Config cfg = ossa::runtime::load_config(path_or_empty);  // throws ConfigError
//   cfg.apply(overrides);
//   std::cout << ossa::runtime::to_json(cfg).dump(2);
//
// Unknown keys and wrong types in the file are errors naming the key and its line: a typo in
// a security setting (sandbox, network allowlist, approvals) must not be silently ignored.
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/mcp/server_config.hpp"
#include "tools/secrets.hpp"

namespace ossa::runtime {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// When tools that need approval may run: ask on the terminal, run all, or deny all.
enum class ApproveMode { ask, all, none };

struct Limits {
  int max_tool_rounds = 32;     // tool calls dispatched in one turn
  int max_tokens = 16384;       // tokens generated in one turn
  double wall_time_s = 1800;    // wall time of one turn
  // Identical consecutive calls that run; the next identical one is not run (the model is
  // warned), and one more ends the turn (repeated_call).
  int repeat_limit = 3;
  double tool_timeout_s = 120;  // per tool call, on top of the tool's own limits
};

struct Config {
  std::string model;                 // checkpoint folder; empty = none configured
  int threads = 0;                   // engine threads; 0 = all cores
  // bf16 weight groups the engine quantizes to 8 bits at load (attention, embedding,
  // unembedding, experts, all; engine/weights_q8.hpp); empty = none, the weights as shipped.
  std::vector<std::string> weights_q8;
  // CPU: read the weights from the mapped checkpoint instead of copying the streamed ones onto
  // huge pages at load (engine/cpu/resident_weights.hpp).
  bool map_weights = false;
  std::string reasoning = "medium";  // low | medium | high
  std::string instructions;          // developer-message instructions
  std::string date;                  // conversation start date; empty = today (UTC)
  std::string workspace;             // folder the tools act in; empty = current directory
  double temperature = 1.0;          // 0 = greedy
  unsigned long long seed = 0;       // 0 = random

  std::vector<std::string> tools = {"python", "browser"};  // enabled tools / namespaces
  std::vector<std::string> tool_dirs;                      // folders of user tool files
  ApproveMode approve = ApproveMode::ask;
  std::vector<std::string> need_approval = {"shell", "apply_patch", "http"};

  // default: every sandbox layer required; degraded: run on namespaces, seccomp and rlimits
  // when Landlock or cgroups are missing. Both reach every sandboxed tool with memory_mib.
  std::string sandbox_policy = "default";
  int sandbox_memory_mib = 2048;
  // How much sandboxed code may grow the workspace, over its size when this ossa process first
  // ran code in it (0: no budget). See sandbox::Limits::workspace_max_bytes.
  int sandbox_workspace_write_mib = 1024;
  // .git/.hg/.svn/.jj/.ossa at the top of the workspace read-only for sandboxed code.
  bool sandbox_protect_git = true;
  std::vector<std::string> network_allowlist;  // host[:port] the http/browser tools may reach
  // `[secrets.NAME]`: what `${NAME}` in HTTP tool headers may use, where it is read from and
  // the hosts it may be sent to (tools/secrets.hpp). Nothing undeclared is ever expanded.
  std::vector<tools::SecretSpec> secrets;
  // browser.search: "searxng:<base URL>", "local:<folder>", or empty ($OSSA_SEARXNG_URL, then
  // $OSSA_LOCAL_DOCS).
  std::string search_backend;

  // [mcp_servers.NAME]: MCP servers whose tools the model gets as functions.NAME_tool.
  std::vector<mcp::ServerConfig> mcp_servers;

  Limits limits;
  std::string transcript_dir;  // empty = $XDG_DATA_HOME/ossa/sessions (or ~/.local/share/...)

  std::string source;  // the file this was read from; empty = defaults only
};

// Flags given on the command line; a set value wins over the file.
struct ConfigOverrides {
  std::optional<std::string> model, reasoning, instructions, date, workspace, transcript_dir;
  std::optional<int> threads, max_tool_rounds, max_tokens;
  std::optional<double> wall_time_s, temperature, tool_timeout_s;
  std::optional<unsigned long long> seed;
  std::optional<bool> map_weights;
  std::optional<std::vector<std::string>> tools, tool_dirs, network_allowlist, weights_q8;
  std::optional<std::string> approve, search_backend;
};

// ~/.config/ossa/config.toml ($XDG_CONFIG_HOME honoured); empty when HOME is unknown.
std::string default_config_path();
// $XDG_DATA_HOME/ossa/sessions or ~/.local/share/ossa/sessions.
std::string default_transcript_dir();

// `path` empty: the default file if it exists, else defaults. A given path must exist.
Config load_config(const std::string& path);
// Parses TOML text (`origin` names it in errors).
Config parse_config(const std::string& toml_text, const std::string& origin);

// Applies and validates overrides; throws ConfigError naming the bad value.
void apply_overrides(Config& cfg, const ConfigOverrides& o);

// The conversation's start date: cfg.date, or today (UTC) when it is empty.
std::string conversation_date(const Config& cfg);

ApproveMode parse_approve_mode(const std::string& s);  // throws ConfigError
const char* to_string(ApproveMode m);

nlohmann::json to_json(const Config& cfg);

}  // namespace ossa::runtime
