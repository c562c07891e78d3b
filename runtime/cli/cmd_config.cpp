// `ossa config show`: the effective configuration (defaults < file < flags) as JSON.
#include <memory>

#include "runtime/cli/command.hpp"
#include "runtime/config_flags.hpp"
#include "runtime/json_output.hpp"

#include <nlohmann/json.hpp>

namespace {

ossa::cli::Run setup(CLI::App& cmd) {
  auto flags = std::make_shared<ossa::runtime::ConfigFlags>();
  CLI::App* show = cmd.add_subcommand("show", "Print the effective configuration as JSON");
  flags->add_to(*show);
  cmd.require_subcommand(1);
  return [flags] {
    ossa::out::print_json(ossa::runtime::to_json(flags->effective()));
    return 0;
  };
}

}  // namespace

OSSA_CLI_COMMAND(config, "Show the effective configuration (file + flags)", setup);
