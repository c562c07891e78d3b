// The command-line contract every subcommand shares: help and version on stdout with exit 0,
// usage errors as one line on stderr with exit 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

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

// Issue 19: `--seed -1` became 18446744073709551615; `ossa sandbox --memory 1` was accepted
// though the configuration's minimum is 16 MiB. Both are usage errors, checked before anything
// loads.
TEST(Cli, NegativeSeedAndTinySandboxMemoryAreUsageErrors) {
  auto r = run_ossa({"run", "--seed", "-1", "hello"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--seed"), std::string::npos) << r.err;
  r = run_ossa({"sandbox", "--memory", "1", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("16..16777216"), std::string::npos) << r.err;
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

// A script asking `ossa NAME --help` to see whether NAME exists must be told it does not.
TEST(Cli, UnknownSubcommandWithHelpIsAUsageError) {
  auto r = run_ossa({"no-such-command", "--help"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("no-such-command"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  r = run_ossa({"tools", "no-such-subcommand", "--help"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("no-such-subcommand"), std::string::npos) << r.err;
  // Help for what exists still exits 0.
  EXPECT_EQ(run_ossa({"tools", "list", "--help"}).exit_code, 0);
}

namespace {
namespace fs = std::filesystem;
const fs::path kSourceRoot = fs::path(OSSA_TEST_DATA_DIR).parent_path().parent_path();

std::vector<fs::path> readmes() {
  std::vector<fs::path> out;
  for (auto it = fs::recursive_directory_iterator(kSourceRoot); it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && (name == "build" || name == "node_modules" || name[0] == '.')) {
      it.disable_recursion_pending();
      continue;
    }
    if (name == "README.md" || name == "ARCHITECTURE.md") out.push_back(it->path());
  }
  return out;
}
}  // namespace

// The READMEs describe what is in the repository: every repository path they name exists, and
// they point at no document outside it. (They announced a DESIGN.md and folders that were not
// there.)
TEST(Docs, EveryPathTheReadmesNameExists) {
  const std::regex path_re(R"(`((?:kernels|engine|runtime|sandbox|tools|schemas|tests|examples|cmake|scripts)/[A-Za-z0-9_./-]*)`)");
  auto files = readmes();
  ASSERT_GT(files.size(), 5u);
  for (const auto& readme : files) {
    std::ifstream in(readme);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text.find("DESIGN.md"), std::string::npos) << readme;
    for (std::sregex_iterator m(text.begin(), text.end(), path_re), end; m != end; ++m) {
      std::string p = (*m)[1].str();
      while (!p.empty() && (p.back() == '.' || p.back() == ',')) p.pop_back();
      EXPECT_TRUE(fs::exists(kSourceRoot / p) || fs::exists(readme.parent_path() / p))
          << readme << " names " << p;
    }
  }
}

// Every command the top README lists is one the binary has.
TEST(Docs, EveryCommandTheReadmeListsExists) {
  std::ifstream in(kSourceRoot / "README.md");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto start = text.find("## The command");
  ASSERT_NE(start, std::string::npos);
  std::istringstream lines(text.substr(start));
  std::string line;
  int checked = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("ossa ", 0) != 0) continue;
    std::istringstream words(line.substr(5));
    std::string name;
    words >> name;
    SCOPED_TRACE(name);
    EXPECT_EQ(run_ossa({name, "--help"}).exit_code, 0);
    ++checked;
  }
  EXPECT_GT(checked, 5);
}

// `ossa tools list` is built from the configuration like `ossa run`: a malformed network rule
// is a usage error naming it (it used to be dropped silently and the list printed).
TEST(Cli, ToolsListRefusesAMalformedNetworkRule) {
  auto cfg = std::filesystem::temp_directory_path() / "ossa_cli_empty.toml";
  { std::ofstream(cfg) << ""; }
  auto r = run_ossa({"tools", "list", "--config", cfg.string(), "--tools", "browser,http_request",
                     "--allow", "http://bad host:80"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("bad host"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}
