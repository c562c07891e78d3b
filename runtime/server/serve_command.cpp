#include "runtime/server/serve_command.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "runtime/cli/command.hpp"
#include "runtime/default_model.hpp"
#include "runtime/log.hpp"

namespace ossa::server {

namespace {

std::string default_data_dir() {
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
    return (std::filesystem::path(x) / "ossa" / "server").string();
  if (const char* h = std::getenv("HOME"); h && *h)
    return (std::filesystem::path(h) / ".local" / "share" / "ossa" / "server").string();
  return ".ossa-server";
}

}  // namespace

harmony::ToolNamespaces builtin_namespaces(const tools::Registry& registry) {
  harmony::ToolNamespaces out;
  const harmony::Json sys = registry.system_tools();
  if (!sys.is_object()) return out;
  for (const auto& [key, ns] : sys.items()) {
    auto r = harmony::tool_namespace_from_json(ns);
    if (!r) continue;
    out[key] = std::move(*r);
  }
  return out;
}

void ServeFlags::add_to(CLI::App& cmd) {
  config.add_to(cmd);
  cmd.add_option("--host", host, "Address to listen on (loopback by default)");
  cmd.add_option("--port", port, "Port to listen on (0: any free port)");
  cmd.add_option("--api-key", api_key,
                 "Clients must send 'Authorization: Bearer KEY' (default: $OSSA_API_KEY)");
  cmd.add_flag("--insecure-no-auth", insecure_no_auth,
               "Allow a non-loopback --host without an API key");
  cmd.add_option("--max-concurrent", max_concurrent,
                 "Requests generating at once (each keeps a KV cache)");
  cmd.add_option("--max-queue", max_queue,
                 "Requests waiting for a generation slot before the server answers 429");
  cmd.add_option("--data-dir", data_dir,
                 "Where stored responses live (default $XDG_DATA_HOME/ossa/server)");
  cmd.add_option("--model-name", model_name, "The model id clients use (default: the folder name)");
  cmd.add_option("--max-body-mib", max_body_mib, "Largest request body accepted");
}

ServeSetup prepare_serve(const ServeFlags& f, const std::string& default_model_name) {
  ServeSetup s;
  s.config = f.config.effective();
  if (std::string note = runtime::choose_default_model(s.config); !note.empty()) log::warn(note);
  try {
    s.environment = std::make_unique<runtime::Environment>(s.config);
  } catch (const runtime::ConfigError& e) {
    throw cli::UsageError(e.what());
  }
  ServerOptions& o = s.options;
  o.host = f.host;
  o.port = f.port;
  o.api_key = f.api_key;
  if (o.api_key.empty())
    if (const char* k = std::getenv("OSSA_API_KEY"); k) o.api_key = k;
  o.insecure_no_auth = f.insecure_no_auth;
  o.slots = f.max_concurrent;
  o.max_queue = f.max_queue;
  o.max_body_bytes = f.max_body_mib << 20;
  o.data_dir = f.data_dir.empty() ? default_data_dir() : f.data_dir;
  // Server-side tools run in the environment's workspace, with its limits and secrets.
  o.tool_context = s.environment->tool_context({}, nullptr);
  MappingContext& m = o.mapping;
  m.model_id = !f.model_name.empty() ? f.model_name : default_model_name;
  m.date = runtime::conversation_date(s.config);
  m.reasoning = s.config.reasoning;
  m.max_tokens_limit = s.config.limits.max_tokens;
  m.default_temperature = s.config.temperature;
  m.builtins = builtin_namespaces(s.environment->registry());
  // The web UI's agent sessions run as `ossa run` would, in its transcript folder.
  o.agent_config = s.config;
  o.transcript_dir = s.config.transcript_dir.empty() ? runtime::default_transcript_dir()
                                                     : s.config.transcript_dir;
  o.limits.max_tool_rounds = s.config.limits.max_tool_rounds;
  o.limits.wall_time_s = s.config.limits.wall_time_s;
  o.limits.tool_timeout_s = s.config.limits.tool_timeout_s;
  try {
    check_options(o);
  } catch (const std::invalid_argument& e) {
    throw cli::UsageError(e.what());
  }
  return s;
}

int serve(ServeSetup& s, SourceFactory& factory) {
  HttpServer server(s.options, factory, &s.environment->registry());
  std::string host = s.options.host.find(':') != std::string::npos ? "[" + s.options.host + "]"
                                                                   : s.options.host;
  Json line = Json::object();
  line["listening"] = "http://" + host + ":" + std::to_string(server.port());
  line["model"] = s.options.mapping.model_id;
  std::cout << line.dump() << std::endl;
  log::info("ossa serve: ", line["listening"].get<std::string>(), " model ",
            s.options.mapping.model_id, s.options.api_key.empty() ? " (no API key)" : "");
  server.run(true);
  return 0;
}

}  // namespace ossa::server
