#pragma once
// What one `[mcp_servers.NAME]` entry of the configuration says: how to reach the server (a
// command run in ossa's sandbox, or a Streamable HTTP URL), which of its tools the model gets,
// timeouts, approval, and what the sandbox grants a stdio server.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ossa::mcp {

// What a stdio server may touch. The default is the least that lets a server be useful: the
// workspace read-only, nothing else of the host but /usr, no network.
struct SandboxGrants {
  bool workspace_writable = false;
  // Host paths mounted read-only at the same path (a server's node_modules, a data folder).
  std::vector<std::string> read_only;
  // Network rules. The sandbox offers no network yet, so a non-empty list is refused when the
  // configuration is read (see runtime/config.cpp), never silently ignored.
  std::vector<std::string> network;
  std::size_t memory_mib = 1024;
};

struct ServerConfig {
  std::string name;  // [A-Za-z0-9_-]+: the prefix of its tools' names
  // stdio: argv[0] and the rest; run inside the sandbox (only /usr of the host is visible, so
  // `node`, `python3` resolve there).
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // the server's whole environment
  std::string cwd;                                        // inside the sandbox; default /workspace
  // Streamable HTTP: the endpoint. The connection may go to this URL's host and port only.
  std::string url;
  // Extra HTTP headers; values may hold `${NAME}` resolved through the secret lookup.
  std::vector<std::pair<std::string, std::string>> headers;

  std::optional<std::vector<std::string>> enabled_tools;  // null: all
  std::vector<std::string> disabled_tools;
  std::chrono::milliseconds startup_timeout{10'000};  // start + initialize + tools/list
  std::chrono::milliseconds tool_timeout{60'000};     // one tools/call
  bool needs_approval = false;
  bool enabled = true;
  SandboxGrants sandbox;
  // One JSON-RPC message (a stdio line, an HTTP body) larger than this fails the calls waiting
  // on it and, over stdio, stops the server: a flood must not grow ossa's memory without bound.
  std::size_t max_message_bytes = 16u << 20;

  bool is_http() const { return !url.empty(); }
};

// Whether `name` is offered by the server under this configuration.
bool tool_enabled(const ServerConfig& cfg, const std::string& name);

}  // namespace ossa::mcp
