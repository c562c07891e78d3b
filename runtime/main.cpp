// The `ossa` executable: every subcommand registers itself from runtime/cli/cmd_*.cpp.
#include "runtime/cli/command.hpp"

int main(int argc, char** argv) { return ossa::cli::main(argc, argv); }
