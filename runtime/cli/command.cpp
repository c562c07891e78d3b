#include "runtime/cli/command.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>

#include "runtime/log.hpp"

#ifndef OSSA_VERSION
#define OSSA_VERSION "unknown"
#endif

namespace ossa::cli {
namespace {
// Function-local static: registrations run during static initialisation of other translation
// units, in no defined order.
std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ossa: error: %s (see ossa --help)\n", message.c_str());
  return 2;
}
// The first word left over after parsing that no (sub)command took: a misspelt command.
// CLI11 stops at --help before it reports extra arguments, so they are looked for here.
std::string first_unknown_word(const CLI::App& app) {
  for (const CLI::App* level = &app; level;) {
    for (const std::string& w : level->remaining())
      if (!w.empty() && w[0] != '-') return w;
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : level->get_subcommands())
      if (sub->parsed()) next = sub;
    level = next;
  }
  return {};
}
}  // namespace

Registration::Registration(const char* name, const char* description, Setup setup) {
  registry().push_back(Command{name, description, setup});
}

std::vector<Command> registered_commands() {
  auto commands = registry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  return commands;
}

int main(int argc, char** argv) {
  log::init_from_env();
  CLI::App app{"ossa: run autonomous agents locally on OpenAI's gpt-oss models.\n"
               "Machine-readable output is JSON on stdout; logs go to stderr.\n"
               "Exit codes: 0 ok, 1 runtime failure, 2 usage error.",
               "ossa"};
  app.set_version_flag("--version", std::string("ossa ") + OSSA_VERSION);
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More log output on stderr (-vv for trace)");
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr");
  app.require_subcommand(0, 1);
  app.fallthrough();

  std::vector<std::pair<CLI::App*, Run>> runs;
  try {
    for (const Command& c : registered_commands()) {
      CLI::App* sub = app.add_subcommand(c.name, c.description);
      runs.emplace_back(sub, c.setup(*sub));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ossa: internal error while building the command line: %s\n", e.what());
    return 1;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    // `ossa no-such-command --help`: help is asked for something that does not exist; a script
    // checking for a command must not get exit 0 and the top-level help.
    if (std::string bad = first_unknown_word(app); !bad.empty())
      return usage_error("unknown command `" + bad + "`");
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return 0;
  } catch (const CLI::CallForVersion&) {
    std::printf("%s\n", app.version().c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    return usage_error(what);
  }

  if (quiet) log::set_level(log::Level::error);
  if (verbose == 1) log::set_level(log::Level::debug);
  if (verbose >= 2) log::set_level(log::Level::trace);

  for (auto& [sub, run] : runs) {
    if (!sub->parsed()) continue;
    try {
      return run();
    } catch (const UsageError& e) {
      return usage_error(e.what());
    } catch (const std::exception& e) {
      log::error(log::describe(e));
      return 1;
    }
  }
  std::fputs(app.help().c_str(), stderr);
  return usage_error("no command given");
}

}  // namespace ossa::cli
