#pragma once
// Subcommand registration for the `ossa` executable.
//
// Each subcommand lives in its own file runtime/cli/cmd_<name>.cpp and registers itself:
//
//   namespace {
//   ossa::cli::Run setup(CLI::App& cmd) {
//     auto opts = std::make_shared<Options>();
//     cmd.add_option("--model", opts->model, "Checkpoint folder")->required();
//     return [opts] { ...; return 0; };   // runs only when this subcommand was chosen
//   }
//   }  // namespace
//   OSSA_CLI_COMMAND(logits, "Print full-precision logits as JSON", setup);
//
// Exit codes: 0 ok, 1 runtime failure (any exception other than UsageError escaping Run),
// 2 usage error (CLI11 parse errors, or UsageError thrown from Run).
#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ossa::cli {

// A usage problem only the command can see (conflicting options, malformed list values...).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Run = std::function<int()>;
// Adds the subcommand's options to `cmd` and returns what to run when it was chosen.
using Setup = Run (*)(CLI::App& cmd);

struct Registration {
  Registration(const char* name, const char* description, Setup setup);
};

struct Command {
  std::string name;
  std::string description;
  Setup setup;
};
// Every registered command, sorted by name.
std::vector<Command> registered_commands();

// Builds the `ossa` app from the registered commands, parses argv and runs the chosen command.
// Returns the process exit code; never throws.
int main(int argc, char** argv);

}  // namespace ossa::cli

#define OSSA_CLI_COMMAND(name, description, setup) \
  static const ::ossa::cli::Registration ossa_cli_registration_##name(#name, description, setup)
