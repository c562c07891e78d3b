// The command-line contract every subcommand shares: help and version on stdout with exit 0,
// usage errors as one line on stderr with exit 2.
#include <gtest/gtest.h>

#include <algorithm>

#include <sstream>
#include "tests/cli/subprocess.hpp"

using ossa::test::run_ossa;

namespace {
size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST(Cli, HelpExitsZeroAndDescribesOssa) {
  auto r = run_ossa({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("gpt-oss"), std::string::npos);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(Cli, VersionPrintsProjectVersion) {
  auto r = run_ossa({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("ossa ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find('.'), std::string::npos);
}

TEST(Cli, UnknownOptionIsAOneLineUsageError) {
  auto r = run_ossa({"--no-such-option"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--no-such-option"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, UnknownSubcommandIsAUsageError) {
  auto r = run_ossa({"no-such-command"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
}

TEST(Cli, NoCommandIsAUsageErrorThatShowsHelp) {
  auto r = run_ossa({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no command given"), std::string::npos) << r.err;
}

// The subcommands the binary itself lists under "Subcommands:" in its help.
std::vector<std::string> listed_subcommands() {
  auto help = run_ossa({"--help"}).out;
  std::vector<std::string> names;
  auto pos = help.find("Subcommands:");
  if (pos == std::string::npos) return names;
  std::istringstream lines(help.substr(pos));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first;
    if (line.empty() || line[0] != ' ' || !(words >> first)) break;
    names.push_back(first);
  }
  return names;
}

TEST(Cli, EveryListedCommandHasHelp) {
  for (const auto& name : listed_subcommands()) {
    SCOPED_TRACE(name);
    auto r = run_ossa({name, "--help"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(name), std::string::npos);
  }
}
