#pragma once
// What `ossa serve` and the test server executable share: the server's flags, turning them and
// the configuration into ServerOptions and an Environment (runtime/environment.hpp: the tools),
// and serving until a signal.
// The production command (runtime/cli/cmd_serve.cpp) adds the engine's SourceFactory; tests add
// their scripted one, so the production binary carries no test hooks.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "runtime/config_flags.hpp"
#include "runtime/environment.hpp"
#include "runtime/server/http_server.hpp"
#include "runtime/server/slot_pool.hpp"

namespace ossa::server {

struct ServeFlags {
  runtime::ConfigFlags config;
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string api_key;  // --api-key, else $OSSA_API_KEY
  bool insecure_no_auth = false;
  int max_concurrent = 4;
  int max_queue = 64;
  std::string data_dir;    // empty: $XDG_DATA_HOME/ossa/server (or ~/.local/share/ossa/server)
  std::string model_name;  // empty: the model folder's name
  std::size_t max_body_mib = 8;

  void add_to(CLI::App& cmd);
};

// The effective configuration and the environment it asks for: the server-side tools (built-ins,
// tool files, MCP servers), their workspace, limits and secrets, as `ossa run` gets them.
struct ServeSetup {
  runtime::Config config;
  std::unique_ptr<runtime::Environment> environment;
  ServerOptions options;
};

// The registry's built-in namespaces (python, browser) in the tools' own words: what
// MappingContext::builtins offers clients as code_interpreter and web_search.
harmony::ToolNamespaces builtin_namespaces(const tools::Registry& registry);

// Throws cli::UsageError for bad flags or configuration.
ServeSetup prepare_serve(const ServeFlags& flags, const std::string& default_model_name);

// Binds, prints {"listening": "http://HOST:PORT", "model": ID} on stdout, serves until SIGINT
// or SIGTERM. Returns the exit code.
int serve(ServeSetup& setup, SourceFactory& factory);

}  // namespace ossa::server
