#pragma once
// The command-line flags that override the configuration file, shared by `ossa run`,
// `ossa chat` and `ossa config show` so that every command accepts the same spelling.
//
//   auto flags = std::make_shared<ossa::runtime::ConfigFlags>();
//   flags->add_to(cmd);                    // in the command's setup
//   Config cfg = flags->effective();       // in its run: file + overrides; throws UsageError
#include <CLI/CLI.hpp>
#include <string>

#include "runtime/config.hpp"

namespace ossa::runtime {

struct ConfigFlags {
  std::string config_file;  // --config
  ConfigOverrides overrides;

  void add_to(CLI::App& cmd);
  // Loads the file and applies the flags. Errors (bad file, bad value) become
  // cli::UsageError, so the command exits 2 with one line on stderr.
  Config effective() const;
};

}  // namespace ossa::runtime
