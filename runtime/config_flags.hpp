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

// --map-weights' help, also given by `ossa bench`, which takes the flag without a configuration.
inline constexpr const char* kMapWeightsHelp =
    "CPU: read the weights from the mapped checkpoint (4 KiB pages) instead of copying the streamed "
    "ones onto huge pages at load (the default where the kernel has them and memory allows)";

struct ConfigFlags {
  std::string config_file;  // --config
  ConfigOverrides overrides;

  void add_to(CLI::App& cmd);
  // Loads the file and applies the flags. Errors (bad file, bad value) become
  // cli::UsageError, so the command exits 2 with one line on stderr.
  Config effective() const;
};

}  // namespace ossa::runtime
