// The command-line contract every subcommand shares: help and version on stdout with exit 0,
// usage errors as one line on stderr with exit 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
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

// Issue 19: what can be checked without the model is checked before it loads (real weights
// take a while to load), as usage errors (exit 2) that name the fix. The model folder given
// here does not exist: a check that ran after loading would report the model instead.
namespace {
struct EarlyChecks : ::testing::Test {
  void SetUp() override {
    root = fs::temp_directory_path() / ("ossa_cli_early_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "sessions");
    std::ofstream(root / "empty.toml") << "";
    std::ofstream(root / "afile") << "not a folder";
  }
  void TearDown() override { fs::remove_all(root); }
  // `cmd` with an empty configuration, a model that does not exist and a private session folder.
  std::vector<std::string> args(const std::string& cmd, std::vector<std::string> extra) const {
    std::vector<std::string> a = {cmd, "--config", (root / "empty.toml").string(), "--model",
                                  (root / "no-model").string(), "--transcript-dir",
                                  (root / "sessions").string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  void expect_usage_error(const std::vector<std::string>& a, const std::string& message) const {
    auto r = run_ossa(a);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("no-model"), std::string::npos) << "the model was looked at first: " << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  fs::path root;
};
}  // namespace

TEST_F(EarlyChecks, TheModelIsOnlyLookedAtOnceEverythingElseIsValid) {
  auto r = run_ossa(args("run", {"hi"}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no-model"), std::string::npos) << r.err;
  // Nothing was left behind for a session that never started.
  EXPECT_TRUE(fs::is_empty(root / "sessions"));
}

TEST_F(EarlyChecks, UnwritableTranscriptIsAUsageError) {
  expect_usage_error(args("run", {"--transcript", (root / "afile" / "t.jsonl").string(), "hi"}),
                     "give --transcript a writable path");
  expect_usage_error({"run", "--config", (root / "empty.toml").string(), "--model",
                      (root / "no-model").string(), "--transcript-dir",
                      (root / "afile" / "sessions").string(), "hi"},
                     "--transcript-dir");
  std::ofstream(root / "taken.jsonl") << "";
  expect_usage_error(args("run", {"--transcript", (root / "taken.jsonl").string(), "hi"}),
                     "already exists");
}

TEST_F(EarlyChecks, UnknownResumeIdIsAUsageError) {
  expect_usage_error(args("run", {"--resume", "20990101-000000-deadbeef", "go on"}),
                     "no session 20990101-000000-deadbeef");
  expect_usage_error(args("chat", {"--resume", "20990101-000000-deadbeef"}),
                     "no session 20990101-000000-deadbeef");
}

TEST_F(EarlyChecks, MissingWorkspaceIsAUsageErrorForRunChatAndTools) {
  const std::string ws = (root / "no-such-folder").string();
  expect_usage_error(args("run", {"--workspace", ws, "hi"}), ws + " is not a directory");
  expect_usage_error(args("chat", {"--workspace", ws}), ws + " is not a directory");
  auto r = run_ossa({"tools", "list", "--config", (root / "empty.toml").string(), "--workspace", ws});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(ws + " is not a directory"), std::string::npos) << r.err;
}

TEST_F(EarlyChecks, BadDateIsAUsageError) {
  expect_usage_error(args("run", {"--date", "notadate", "hi"}),
                     "date: expected a day as YYYY-MM-DD (e.g. 2026-01-31); got \"notadate\"");
  expect_usage_error(args("run", {"--date", "2026-02-30", "hi"}), "got \"2026-02-30\"");
  std::ofstream(root / "date.toml") << "date = \"yesterday\"\n";
  auto r = run_ossa({"config", "show", "--config", (root / "date.toml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("date.toml: date: expected a day"), std::string::npos) << r.err;
}

// --weights-q8 / weights_q8 (engine/weights_q8.hpp): a group name that does not exist is a usage
// error naming the valid ones, from every command that loads a model, before the model.
TEST_F(EarlyChecks, UnknownWeightsQ8GroupIsAUsageError) {
  const std::string want = "unknown weight group \"mlp\"; expected a comma list of attention, embedding, unembedding, experts, all";
  expect_usage_error(args("run", {"--weights-q8", "attention,mlp", "hi"}), "weights_q8: " + want);
  expect_usage_error(args("chat", {"--weights-q8", "mlp"}), "weights_q8: " + want);
  std::ofstream(root / "q8.toml") << "weights_q8 = [\"attention\", \"mlp\"]\n";
  auto r = run_ossa({"config", "show", "--config", (root / "q8.toml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("q8.toml: weights_q8: " + want), std::string::npos) << r.err;
  r = run_ossa({"serve", "--config", (root / "empty.toml").string(), "--model", (root / "no-model").string(),
                "--weights-q8", "mlp"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("weights_q8: " + want), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("no-model"), std::string::npos) << r.err;
  for (std::vector<std::string> a : {std::vector<std::string>{"generate", "--tokens", "1"},
                                     std::vector<std::string>{"logits", "--tokens", "1"},
                                     std::vector<std::string>{"bench"}}) {
    SCOPED_TRACE(a[0]);
    a.insert(a.end(), {"--model", (root / "no-model").string(), "--weights-q8", "attention,mlp"});
    r = run_ossa(a);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--weights-q8: " + want), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("no-model"), std::string::npos) << r.err;
  }
  // The flag and the key reach the effective configuration.
  r = run_ossa({"config", "show", "--config", (root / "empty.toml").string(), "--weights-q8", "attention,unembedding"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["weights_q8"], nlohmann::json({"attention", "unembedding"})) << r.out;
  std::ofstream(root / "q8ok.toml") << "weights_q8 = [\"all\"]\n";
  r = run_ossa({"config", "show", "--config", (root / "q8ok.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["weights_q8"], nlohmann::json({"all"})) << r.out;
}

// --map-weights / map_weights (engine/cpu/resident_weights.hpp) reach the effective
// configuration; a value that is not a boolean is an error naming the file and key.
TEST_F(EarlyChecks, MapWeightsFlagAndKey) {
  auto r = run_ossa({"config", "show", "--config", (root / "empty.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["map_weights"], false) << r.out;
  r = run_ossa({"config", "show", "--config", (root / "empty.toml").string(), "--map-weights"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["map_weights"], true) << r.out;
  std::ofstream(root / "map.toml") << "map_weights = true\n";
  r = run_ossa({"config", "show", "--config", (root / "map.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["map_weights"], true) << r.out;
  std::ofstream(root / "badmap.toml") << "map_weights = \"yes\"\n";
  r = run_ossa({"config", "show", "--config", (root / "badmap.toml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("badmap.toml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`map_weights`: expected true or false"), std::string::npos) << r.err;
}

TEST_F(EarlyChecks, UnknownSearchBackendIsAUsageError) {
  expect_usage_error(args("run", {"--search", "google", "hi"}),
                     "search.backend: unknown backend \"google\" (use searxng:<http(s) URL> or "
                     "local:<folder>; set in `[search] backend` or --search)");
  std::ofstream(root / "search.toml") << "[search]\nbackend = \"google\"\n";
  auto r = run_ossa({"run", "--config", (root / "search.toml").string(), "--model",
                     (root / "no-model").string(), "hi"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("search.toml: search.backend: unknown backend"), std::string::npos) << r.err;
  // Well formed but unusable: a local folder that does not exist.
  expect_usage_error(args("run", {"--search", "local:" + (root / "no-docs").string(), "hi"}),
                     "`[search] backend` (--search)");
}

TEST_F(EarlyChecks, MalformedAllowlistRuleIsAUsageError) {
  expect_usage_error(args("run", {"--allow", "http://bad host:80", "hi"}), "bad host");
}

TEST_F(EarlyChecks, UnknownToolIsAnErrorNotAWarning) {
  expect_usage_error(args("run", {"--tools", "python,nonsense", "hi"}),
                     "`tools`: unknown tool `nonsense` (built-in tools: ");
  expect_usage_error(args("chat", {"--tools", "nonsense"}), "unknown tool `nonsense`");
}

TEST_F(EarlyChecks, FunctionWithoutAToolFileSaysSo) {
  expect_usage_error(args("run", {"--tools", "python,functions.get_weather", "hi"}),
                     "`tools` names functions.get_weather but no tool file defines it (no tool "
                     "folder given: pass --tools-dir DIR or set `tools.dirs`)");
  fs::create_directories(root / "tools");
  expect_usage_error(args("run", {"--tools", "functions.get_weather", "--tools-dir",
                                  (root / "tools").string(), "hi"}),
                     "no tool file defines it (looked in " + (root / "tools").string() + ")");
}

namespace {
// The README's command table: the fenced block under "## The command" (what follows its
// opening fence, up to the closing one).
void readme_command_table(std::string& table) {
  std::ifstream in(kSourceRoot / "README.md");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto start = text.find("## The command");
  ASSERT_NE(start, std::string::npos);
  auto fence = text.find("```", start);
  auto end = text.find("```", fence + 3);
  ASSERT_NE(end, std::string::npos);
  table = text.substr(fence + 3, end - fence - 3);
}
}  // namespace

// Issue 19: the README's command table names every command the program has (and, above,
// every command it names exists).
TEST(Docs, TheReadmeListsEveryCommand) {
  std::string table;
  ASSERT_NO_FATAL_FAILURE(readme_command_table(table));
  auto commands = listed_subcommands();
  ASSERT_GT(commands.size(), 5u);
  for (const auto& name : commands) {
    const std::regex named("(^|\\n)ossa ([a-z]+ \\| )*" + name + "\\b");
    EXPECT_TRUE(std::regex_search(table, named)) << "README's command table lacks `ossa " << name << "`";
  }
}

namespace {

// The options `ossa <command...> --help` lists (the names that start its option lines), with
// those of its subcommands: `tools call`'s options are options of `tools`.
std::set<std::string> options_of(std::vector<std::string> command) {
  std::set<std::string> out;
  command.push_back("--help");
  auto r = run_ossa(command);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  command.pop_back();
  const std::regex option_line(R"(^ +(?:-[A-Za-z],)?(--[a-z][a-z0-9-]*))");
  std::istringstream lines(r.out);
  std::string line;
  bool in_subcommands = false;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, option_line)) out.insert(m[1]);
    if (line.rfind("Subcommands:", 0) == 0) {
      in_subcommands = true;
    } else if (in_subcommands && line.size() > 2 && line[0] == ' ') {
      auto sub = command;
      std::istringstream words(line);
      std::string name;
      words >> name;
      sub.push_back(name);
      out.merge(options_of(sub));
    } else {
      in_subcommands = false;
    }
  }
  return out;
}

}  // namespace

// Issue 19: the README's command table says what the program does: each entry's options exist,
// spelled as the command's --help spells them (`ossa a | b ...` lines: in one of those
// commands), and every command's --help exits 0 (the program's own list, from `ossa --help`).
TEST(Docs, TheReadmeCommandTableMatchesEveryHelp) {
  std::string table;
  ASSERT_NO_FATAL_FAILURE(readme_command_table(table));
  std::map<std::string, std::set<std::string>> options;
  for (const auto& name : listed_subcommands()) options[name] = options_of({name});
  ASSERT_GT(options.size(), 5u);

  // Each entry: its first line `ossa a | b ...` and the indented lines that go on with it.
  std::istringstream lines(table);
  std::string line;
  std::vector<std::string> commands;
  const std::regex option_re(R"((^|[^A-Za-z0-9-])(--[a-z][a-z0-9-]*))");
  const std::regex name_re(R"(^([a-z]+)( +\| +|$| ))");
  int checked = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("ossa ", 0) == 0) {
      // `ossa logits | generate | bench --model DIR`: the names before the options.
      commands.clear();
      std::string rest = line.substr(5);
      std::smatch m;
      while (std::regex_search(rest, m, name_re) && options.count(m[1])) {
        commands.push_back(m[1]);
        const bool more = m[2].str().find('|') != std::string::npos;
        rest = m.suffix().str();
        if (!more) break;
      }
      EXPECT_FALSE(commands.empty()) << "README names no command the program has: " << line;
    }
    for (std::sregex_iterator o(line.begin(), line.end(), option_re), e; o != e; ++o) {
      const std::string opt = (*o)[2];
      bool found = false;
      for (const auto& c : commands) found = found || options[c].count(opt);
      EXPECT_TRUE(found) << "README: " << opt << " is not an option of `ossa "
                         << (commands.empty() ? "?" : commands.front()) << "`: " << line;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

// Issue 19: browser.search is offered only with a search backend; open and find always are.
TEST_F(EarlyChecks, BrowserSearchIsOfferedOnlyWithASearchBackend) {
  ::unsetenv("OSSA_SEARXNG_URL");
  ::unsetenv("OSSA_LOCAL_DOCS");
  auto recipients = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"tools", "list", "--config", (root / "empty.toml").string(), "--tools", "browser"};
    a.insert(a.end(), extra.begin(), extra.end());
    auto r = run_ossa(a);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    const auto listed = nlohmann::json::parse(r.out);
    for (const auto& t : listed["tools"]) out.push_back(t["recipient"]);
    return out;
  };
  EXPECT_EQ(recipients({}), (std::vector<std::string>{"browser.find", "browser.open"}));
  fs::create_directories(root / "docs");
  std::ofstream(root / "docs" / "a.md") << "# A\nwidgets\n";
  EXPECT_EQ(recipients({"--search", "local:" + (root / "docs").string()}),
            (std::vector<std::string>{"browser.find", "browser.open", "browser.search"}));
  expect_usage_error(args("run", {"--tools", "browser.search", "hi"}),
                     "`tools` names browser.search, which needs a search backend: set `[search] "
                     "backend` or --search");
}

// Issue 19: `ossa tokenize "text"` takes the text as an argument as well as on stdin.
TEST(Cli, TokenizeTakesTheTextAsAnArgument) {
  auto from_arg = run_ossa({"tokenize", "Hello world"});
  auto from_stdin = run_ossa({"tokenize"}, "Hello world");
  EXPECT_EQ(from_arg.exit_code, 0) << from_arg.err;
  EXPECT_EQ(from_arg.out, from_stdin.out);
  EXPECT_EQ(nlohmann::json::parse(from_arg.out).size(), 2u) << from_arg.out;
  auto back = run_ossa({"tokenize", "--decode", from_arg.out});
  EXPECT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(back.out, "Hello world");
}

// Issue 19: `harmony render --help` says what the input looks like.
TEST(Cli, HarmonyRenderHelpShowsTheInputFormat) {
  auto r = run_ossa({"harmony", "render", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Input (stdin): {\"messages\": [MESSAGE, ...]}"), std::string::npos) << r.out;
  // The example in the help renders.
  const std::string example = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}]}";
  EXPECT_NE(r.out.find(example), std::string::npos) << r.out;
  auto rendered = run_ossa({"harmony", "render"}, example);
  EXPECT_EQ(rendered.exit_code, 0) << rendered.err;
  EXPECT_NE(rendered.out.find("<|start|>user<|message|>Hi<|end|>"), std::string::npos) << rendered.out;
}

// Issue 19: every numeric option of the engine commands has a documented range, checked before
// anything loads ("-1" used to wrap to 2^64-1, a huge --kv-memory overflowed its bytes).
TEST(Cli, EngineCommandNumbersOutsideTheirRangeAreUsageErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {"generate", "--tokens", "1", "--threads", "-1"},
      {"generate", "--tokens", "1", "--threads", "5000"},
      {"generate", "--tokens", "1", "--max-tokens", "0"},
      {"generate", "--tokens", "1", "--seed", "-1"},
      {"logits", "--tokens", "1", "--threads", "1e10"},
      {"bench", "--prompt", "0"},
      {"bench", "--gen", "-1"},
      {"bench", "--kv-memory", "99999999999999"},
      {"bench", "--seed", "-1"},
  };
  for (auto args : bad) {
    SCOPED_TRACE(args[0] + " " + args[args.size() - 2] + " " + args.back());
    args.insert(args.begin() + 1, {"--model", "/nonexistent-model"});
    auto r = run_ossa(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(args[args.size() - 2]), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("nonexistent-model"), std::string::npos) << r.err;
  }
  auto help = run_ossa({"bench", "--help"});
  EXPECT_NE(help.out.find("0..16777216"), std::string::npos) << help.out;
}

// The agent commands' flags are checked against the same ranges as the configuration file.
TEST_F(EarlyChecks, AgentFlagsOutsideTheFileRangesAreUsageErrors) {
  expect_usage_error(args("run", {"--threads", "5000", "hi"}), "threads: out of range [0, 4096]; got 5000");
  expect_usage_error(args("run", {"--max-tool-rounds", "2000000", "hi"}),
                     "limits.max_tool_rounds: out of range [0, 1048576]; got 2000000");
  expect_usage_error(args("run", {"--max-tokens", "0", "hi"}), "limits.max_tokens: out of range [1, 1073741824]; got 0");
  expect_usage_error(args("chat", {"--temperature", "1000"}), "temperature: must be a number from 0 to 100");
}
