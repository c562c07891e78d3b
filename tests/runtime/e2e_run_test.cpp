// `ossa run` end to end on the real engine: a tiny synthetic checkpoint with harmony's full
// vocabulary (random weights, so the model writes noise), real tools, real transcript. What is
// checked is what must hold whatever the model writes: the run ends within its limits, cleanly,
// and leaves a complete transcript that --resume can continue.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

#include "engine/synth.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/transcript.hpp"
#include "tests/cli/subprocess.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class E2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("ossa_e2e_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "ws");
    // An empty configuration file: tests must not depend on the user's ~/.config/ossa.
    { std::ofstream(root_ / "none.toml") << ""; }
    auto cfg = ossa::engine::preset_config("tiny-harmony");
    ASSERT_EQ(cfg.vocab_size, static_cast<int>(ossa::harmony::tokens::kModelVocabSize));
    ossa::engine::write_synthetic_checkpoint(cfg, root_ / "model", 7);
  }
  // OSSA_E2E_KEEP=1 keeps the checkpoint and transcripts for a look by hand.
  static void TearDownTestSuite() {
    if (!std::getenv("OSSA_E2E_KEEP")) fs::remove_all(root_);
  }

  static std::vector<std::string> base_args(const std::string& max_tokens = "96") {
    return {"run",        "--model",      (root_ / "model").string(),
            "--workspace", (root_ / "ws").string(),
            "--config",   (root_ / "none.toml").string(),
            "--approve",  "none",
            "--max-tokens", max_tokens,
            "--wall-time", "120",
            "--temperature", "1",
            "--seed",     "11",
            "--json"};
  }
  static fs::path root_;
};
fs::path E2E::root_;

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) v.push_back(json::parse(line));
  return v;
}

}  // namespace

TEST_F(E2E, RunTerminatesWithinLimitsAndLeavesACompleteTranscript) {
  // An empty config file: defaults only, whatever the machine's ~/.config holds.
  { std::ofstream(root_ / "none.toml") << ""; }
  const fs::path transcript = root_ / "t1.jsonl";
  auto args = base_args();
  args.insert(args.end(), {"--transcript", transcript.string(), "Say hello."});
  auto r = ossa::test::run_ossa(args);
  // Noise from random weights never yields a final answer: a limit or the broken-output guard
  // ends the turn (exit 1), never a crash.
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << "\n" << r.err;
  auto events = json_lines(r.out);
  ASSERT_FALSE(events.empty()) << r.err;
  EXPECT_EQ(events.front()["type"], "session");
  const json& end = events.back();
  ASSERT_EQ(end["type"], "turn_end") << end;
  EXPECT_LE(end["generated_tokens"].get<int>(), 96);

  auto c = ossa::runtime::read_transcript(transcript.string());
  EXPECT_FALSE(c.torn_tail);
  ASSERT_GE(c.events.size(), 4u);
  EXPECT_EQ(c.events.front()["type"], "session_start");
  EXPECT_EQ(c.events.back()["type"], "turn_end");
  EXPECT_EQ(c.events.back()["reason"], end["reason"]);
  int rounds = 0, generated = 0;
  for (const auto& e : c.events)
    if (e["type"] == "round") {
      ++rounds;
      generated += e["generated_tokens"].get<int>();
      EXPECT_GT(e["prompt_tokens"].get<int>(), 0);
    }
  EXPECT_GE(rounds, 1);
  EXPECT_EQ(generated, end["generated_tokens"].get<int>());
  auto msgs = ossa::runtime::transcript_messages(c);
  ASSERT_GE(msgs.size(), 2u);
  EXPECT_EQ(msgs[0]["role"], "system");
  bool user_found = false;
  for (const auto& m : msgs) user_found |= m["role"] == "user";
  EXPECT_TRUE(user_found);

  // --resume continues the same file with a new turn.
  auto args2 = base_args();
  args2.insert(args2.end(), {"--resume", transcript.string(), "And now?"});
  auto r2 = ossa::test::run_ossa(args2);
  EXPECT_TRUE(r2.exit_code == 0 || r2.exit_code == 1) << r2.err;
  auto c2 = ossa::runtime::read_transcript(transcript.string());
  EXPECT_GT(c2.events.size(), c.events.size());
  int turns = 0;
  for (const auto& e : c2.events) turns += e["type"] == "turn_end";
  EXPECT_EQ(turns, 2);
}

TEST_F(E2E, UsageErrors) {
  auto r = ossa::test::run_ossa({"run", "--config", (root_ / "none.toml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // No model configured, no $OSSA_MODEL, and no demo model next to the binary (a copy of it
  // elsewhere): a usage error that says how to name one.
  fs::create_directories(root_ / "bin");
  fs::copy_file(OSSA_BINARY, root_ / "bin" / "ossa", fs::copy_options::overwrite_existing);
  ::unsetenv("OSSA_MODEL");
  r = ossa::test::run_process({(root_ / "bin" / "ossa").string(), "run", "--config",
                               (root_ / "none.toml").string(), "hi"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("OSSA_MODEL"), std::string::npos) << r.err;
}

TEST_F(E2E, WithoutAModelFallsBackOnOssaModelThenOnTheDemoModelFolder) {
  // A copy of the binary in a folder of its own, so that what sits next to it is up to the test.
  const fs::path bin = root_ / "fallback";
  fs::create_directories(bin);
  fs::copy_file(OSSA_BINARY, bin / "ossa", fs::copy_options::overwrite_existing);
  auto run = [&](const fs::path& transcript) {
    return ossa::test::run_process({(bin / "ossa").string(), "run", "--config",
                                    (root_ / "none.toml").string(), "--workspace",
                                    (root_ / "ws").string(), "--max-tokens", "4", "--transcript",
                                    transcript.string(), "hi"});
  };
  auto start_config = [](const fs::path& transcript) {
    auto c = ossa::runtime::read_transcript(transcript.string());
    EXPECT_FALSE(c.events.empty());
    return c.events.empty() ? json() : json::parse(c.events.front()["config"].dump());
  };

  ::setenv("OSSA_MODEL", (root_ / "model").string().c_str(), 1);
  auto r = run(root_ / "env.jsonl");
  ::unsetenv("OSSA_MODEL");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  json cfg = start_config(root_ / "env.jsonl");
  EXPECT_EQ(cfg["model"], (root_ / "model").string());
  EXPECT_EQ(cfg["tools"]["enabled"], json({"python", "browser"}));  // the usual defaults
  EXPECT_EQ(r.err.find("demo model"), std::string::npos) << r.err;

  // demo-model/ next to the binary (here the synthetic checkpoint stands in for it).
  fs::create_directory_symlink(root_ / "model", bin / "demo-model");
  r = run(root_ / "demo.jsonl");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  EXPECT_NE(r.err.find("using the demo model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("OSSA_MODEL"), std::string::npos) << r.err;
  cfg = start_config(root_ / "demo.jsonl");
  EXPECT_EQ(cfg["model"], (bin / "demo-model").string());
  EXPECT_EQ(cfg["tools"]["enabled"], json({"python"}));  // what the demo model knows
  EXPECT_EQ(cfg["temperature"], 0.0);

  // An explicit model wins over both.
  r = ossa::test::run_process({(bin / "ossa").string(), "run", "--config",
                               (root_ / "none.toml").string(), "--model",
                               (root_ / "model").string(), "--workspace", (root_ / "ws").string(),
                               "--max-tokens", "4", "--transcript",
                               (root_ / "explicit.jsonl").string(), "hi"});
  EXPECT_EQ(r.err.find("demo model"), std::string::npos) << r.err;
  EXPECT_EQ(start_config(root_ / "explicit.jsonl")["temperature"], 1.0);
}

TEST_F(E2E, ChatRunsTurnsAndSlashCommands) {
  auto r = ossa::test::run_ossa({"chat", "--model", (root_ / "model").string(), "--config",
                                 (root_ / "none.toml").string(), "--workspace",
                                 (root_ / "ws").string(), "--max-tokens", "16",
                                 "--transcript-dir", (root_ / "chat").string(), "--seed", "3"},
                                "hello\n/session\n/nonsense\n/new\nagain\n/new\n/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped: max_tokens"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("transcript " + (root_ / "chat").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown command /nonsense"), std::string::npos) << r.err;
  // One transcript for the first conversation, one for the one /new started; none for the last
  // one, in which nothing was said.
  int files = 0;
  for (const auto& e : fs::directory_iterator(root_ / "chat")) files += e.path().extension() == ".jsonl";
  EXPECT_EQ(files, 2);
}

namespace {

// {namespace: {description, tools: {name: [description, parameters]}}} of a harmony tools map,
// so two spellings of the same namespaces compare equal (key order, null vs absent).
json namespaces_of(const json& tools_map) {
  json out = json::object();
  if (!tools_map.is_object()) return out;
  for (const auto& [key, ns] : tools_map.items()) {
    json fns = json::object();
    for (const auto& t : ns.value("tools", json::array()))
      fns[t.value("name", "")] = json::array({t.value("description", json()),
                                              t.contains("parameters") ? t["parameters"] : json()});
    out[key] = {{"description", ns.value("description", json())}, {"tools", fns}};
  }
  return out;
}

// The "tools" map of a system or developer message as the transcript recorded it.
json message_tools(const json& message) {
  for (const auto& item : message["content"])
    if (item.contains("tools")) return item["tools"];
  return json::object();
}

}  // namespace

// `ossa tools list --config F` shows exactly the tools `ossa run --config F` gives the model:
// the same built-ins (selected by tools.enabled), the same tool files, the same descriptions.
TEST_F(E2E, ToolsListIsTheRegistryRunBuilds) {
  fs::create_directories(root_ / "tooldir");
  {
    std::ofstream(root_ / "tooldir" / "count.json") << R"({"name": "count_words",
      "description": "Counts words.",
      "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                     "required": ["path"]},
      "command": {"argv": ["/bin/true"]}})";
  }
  const fs::path cfg = root_ / "tools.toml";
  {
    std::ofstream(cfg) << "[tools]\nenabled = [\"python\", \"apply_patch\"]\ndirs = [\""
                       << (root_ / "tooldir").string()
                       << "\"]\n[limits]\ntool_timeout_s = 7\n";
  }
  auto listed = ossa::test::run_ossa({"tools", "list", "--config", cfg.string()});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  json list = json::parse(listed.out);

  const fs::path transcript = root_ / "tools_run.jsonl";
  auto run = ossa::test::run_ossa({"run", "--config", cfg.string(), "--model",
                                   (root_ / "model").string(), "--workspace",
                                   (root_ / "ws").string(), "--max-tokens", "1", "--approve",
                                   "none", "--transcript", transcript.string(), "hi"});
  ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
  auto msgs = ossa::runtime::transcript_messages(ossa::runtime::read_transcript(transcript.string()));
  ASSERT_GE(msgs.size(), 2u);
  ASSERT_EQ(msgs[0]["role"], "system");
  ASSERT_EQ(msgs[1]["role"], "developer");
  json run_system = namespaces_of(message_tools(json::parse(msgs[0].dump())));
  json run_developer = namespaces_of(message_tools(json::parse(msgs[1].dump())));

  EXPECT_EQ(namespaces_of(list["system_tools"]), run_system);
  EXPECT_EQ(namespaces_of(list["developer_tools"]), run_developer);
  // What was selected, and nothing else: python (its timeout from the configuration),
  // apply_patch and the tool file; no shell, no browser.
  std::vector<std::string> recipients;
  for (const auto& t : list["tools"]) recipients.push_back(t["recipient"]);
  EXPECT_EQ(recipients, (std::vector<std::string>{"functions.apply_patch",
                                                  "functions.count_words", "python"}));
  EXPECT_NE(run_system["python"]["description"].get<std::string>().find("7"), std::string::npos)
      << run_system;
}

namespace {

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The "message" payloads among JSON lines (complete lines only: a kill may cut the last).
std::vector<json> printed_messages(const std::string& out) {
  std::vector<json> msgs;
  std::size_t pos = 0;
  for (std::size_t nl; (nl = out.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    json e = json::parse(out.substr(pos, nl - pos), nullptr, false);
    if (e.is_object() && e.value("type", "") == "message") msgs.push_back(e["message"]);
  }
  return msgs;
}

}  // namespace

// A resume that cannot go on (a message with a role ossa does not know) used to append a
// session_resume line at every try; a file that is not a transcript was overwritten. Both are
// refused before anything is written, and the file stays byte for byte as it was.
TEST_F(E2E, FailedResumeWritesNothing) {
  const fs::path good = root_ / "good.jsonl";
  auto args = base_args("4");
  args.insert(args.end(), {"--transcript", good.string(), "Hi."});
  auto r = ossa::test::run_ossa(args);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;

  const fs::path bad = root_ / "bad_role.jsonl";
  {
    std::ofstream(bad, std::ios::binary)
        << file_bytes(good)
        << R"({"type":"message","message":{"role":"wizard","content":"abracadabra"}})" << "\n";
  }
  const std::string before = file_bytes(bad);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto a = base_args();
    a.insert(a.end(), {"--resume", bad.string(), "Go on."});
    auto rr = ossa::test::run_ossa(a);
    EXPECT_EQ(rr.exit_code, 1) << rr.err;
    EXPECT_NE(rr.err.find("wizard"), std::string::npos) << rr.err;
    EXPECT_EQ(file_bytes(bad), before);
  }

  const fs::path notes = root_ / "notes.txt";
  { std::ofstream(notes, std::ios::binary) << "my notes, one line"; }
  auto a = base_args();
  a.insert(a.end(), {"--resume", notes.string(), "Go on."});
  auto rn = ossa::test::run_ossa(a);
  EXPECT_EQ(rn.exit_code, 1) << rn.err;
  EXPECT_NE(rn.err.find("not an ossa transcript"), std::string::npos) << rn.err;
  EXPECT_EQ(file_bytes(notes), "my notes, one line");
}

// The resumed session keeps the id its transcript recorded, whatever the file is called.
TEST_F(E2E, ResumedSessionKeepsItsRecordedId) {
  const fs::path first = root_ / "original.jsonl";
  auto args = base_args("4");
  args.insert(args.end(), {"--transcript", first.string(), "Hi."});
  auto r = ossa::test::run_ossa(args);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  std::string id = json_lines(r.out).front()["id"];
  const fs::path renamed = root_ / "renamed.jsonl";
  fs::copy_file(first, renamed, fs::copy_options::overwrite_existing);
  auto a = base_args("4");
  a.insert(a.end(), {"--resume", renamed.string(), "Again."});
  auto r2 = ossa::test::run_ossa(a);
  ASSERT_TRUE(r2.exit_code == 0 || r2.exit_code == 1) << r2.err;
  auto events = json_lines(r2.out);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front()["id"], id);
}

// kill -9 at 50 moments of a turn, the first 150 ms densely (model loading, the opening being
// written): every transcript left behind parses, holds every message the process had shown
// (shown = already fsynced: the transcript is the first sink), opens with its system message,
// and --resume continues it with that system message in the prompt. A kill before the opening
// was published leaves no transcript and showed no message.
TEST_F(E2E, KillNineAtRandomMomentsLeavesResumableTranscripts) {
  std::mt19937 rng(20261206);
  std::uniform_int_distribution<int> late(150, 1500), after_start(0, 1000);
  const fs::path dir = root_ / "kills";
  fs::create_directories(dir);
  int with_transcript = 0, killed = 0;
  for (int i = 0; i < 50; ++i) {
    SCOPED_TRACE(testing::Message() << "run " << i);
    // Three kinds of moments: the first 150 ms (before anything is published), any time in the
    // first 1.5 s (around publishing, wherever the machine's load puts it), and after the
    // session line (the transcript is published; the turn runs), so that how loaded the machine
    // is cannot leave the test without transcripts to check.
    ossa::test::Interrupt kill{SIGKILL, std::chrono::milliseconds(i < 16 ? i * 10 : late(rng)), ""};
    if (i >= 33) kill = {SIGKILL, std::chrono::milliseconds(after_start(rng)), R"("type":"session")"};
    // Appended, not `"k" + to_string(i)`: GCC 12's -Wrestrict misfires on that.
    std::string name = "k";
    name += std::to_string(i);
    name += ".jsonl";
    const fs::path t = dir / name;
    auto args = base_args("400");
    args.insert(args.end(), {"--transcript", t.string(), "Count to ten."});
    auto r = ossa::test::run_ossa(args, {}, kill);
    ASSERT_TRUE(r.exit_code == 128 + SIGKILL || r.exit_code == 0 || r.exit_code == 1)
        << r.exit_code << "\n" << r.err;
    killed += r.exit_code == 128 + SIGKILL;
    auto shown = printed_messages(r.out);
    if (!fs::exists(t)) {
      EXPECT_TRUE(shown.empty()) << "messages were shown but no transcript exists";
      continue;
    }
    ++with_transcript;
    ossa::runtime::TranscriptContents c;
    ASSERT_NO_THROW(c = ossa::runtime::read_transcript(t.string()));
    ASSERT_NO_THROW(ossa::runtime::check_transcript(c, t.string()));
    auto recorded = ossa::runtime::transcript_messages(c);
    ASSERT_FALSE(recorded.empty());
    EXPECT_EQ(recorded[0]["role"], "system");
    ASSERT_LE(shown.size(), recorded.size());
    for (std::size_t k = 0; k < shown.size(); ++k)
      EXPECT_EQ(json::parse(recorded[k].dump()), shown[k]) << "message " << k;

    auto a = base_args("1");
    a.insert(a.end(), {"--resume", t.string()});
    auto rr = ossa::test::run_ossa(a);
    if (rr.exit_code == 2 && rr.err.find("already ended") != std::string::npos) continue;
    ASSERT_TRUE(rr.exit_code == 0 || rr.exit_code == 1) << rr.err;
    auto c2 = ossa::runtime::read_transcript(t.string());
    int system_messages = 0;
    std::size_t first_prompt = 0;
    bool resumed = false;
    for (const auto& e : c2.events) {
      if (e["type"] == "session_resume") resumed = true;
      if (resumed && e["type"] == "round" && first_prompt == 0) first_prompt = e["prompt_tokens"];
    }
    for (const auto& m : ossa::runtime::transcript_messages(c2)) system_messages += m["role"] == "system";
    EXPECT_TRUE(resumed);
    EXPECT_EQ(system_messages, 1);
    // The system message alone (identity, date, effort, tools) is far more than 7 tokens.
    EXPECT_GT(first_prompt, 100u);
  }
  std::printf("50 kills: %d killed mid-run, %d left a transcript\n", killed, with_transcript);
  EXPECT_GT(killed, 25);
  EXPECT_GE(with_transcript, 17);  // at least every kill after the session line
}

// Ctrl-C while the model generates: the turn ends as cancelled, exit 130, at once.
TEST_F(E2E, SigintDuringGenerationCancelsTheTurn) {
  auto args = base_args("1000000");
  args.insert(args.end(),
              {"--transcript", (root_ / "sigint.jsonl").string(), "Write a long story."});
  auto t0 = std::chrono::steady_clock::now();
  auto r = ossa::test::run_ossa(args, {},
                                {SIGINT, std::chrono::milliseconds(300), "\"type\":\"session\""});
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 130) << r.err;
  auto events = json_lines(r.out);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["type"], "turn_end");
  EXPECT_EQ(events.back()["reason"], "cancelled");
  EXPECT_LT(s, 30.0);  // a liveness bound, not a speed claim
  auto c = ossa::runtime::read_transcript((root_ / "sigint.jsonl").string());
  EXPECT_EQ(c.events.back()["type"], "turn_end");
}

// Issue 19: `ossa sessions` lists what the transcript folder holds, `show` prints one, `rm`
// deletes one (never a file that is not a transcript, never one still in use).
TEST_F(E2E, SessionsListShowAndRemove) {
  const fs::path dir = root_ / "sessions_cmd";
  std::vector<std::string> ids;
  for (const char* task : {"First task.", "Second\ntask."}) {
    auto a = base_args("4");
    a.insert(a.end(), {"--transcript-dir", dir.string(), task});
    auto r = ossa::test::run_ossa(a);
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    ids.push_back(json_lines(r.out).front()["id"]);
  }
  auto r = ossa::test::run_ossa({"sessions", "--transcript-dir", dir.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json list = json::parse(r.out)["sessions"];
  ASSERT_EQ(list.size(), 2u) << r.out;
  // Most recent first.
  EXPECT_EQ(list[0]["id"], ids[1]);
  EXPECT_EQ(list[1]["id"], ids[0]);
  EXPECT_EQ(list[0]["first_task"], "Second task.");
  EXPECT_EQ(list[1]["first_task"], "First task.");
  for (const auto& s : list) {
    EXPECT_EQ(s["model"], (root_ / "model").string());
    EXPECT_EQ(s["turns"], 1);
    EXPECT_TRUE(s["state"] == "answered" || s["state"] == "stopped") << s.dump();
    EXPECT_GT(s["started_ms"].get<long long>(), 0);
  }
  r = ossa::test::run_ossa({"sessions", "--transcript-dir", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ID "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(ids[0]), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("First task."), std::string::npos) << r.out;

  r = ossa::test::run_ossa({"sessions", "show", ids[0], "--transcript-dir", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("session " + ids[0]), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("user: First task."), std::string::npos) << r.out;
  r = ossa::test::run_ossa({"sessions", "show", ids[0], "--json", "--transcript-dir", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json shown = json::parse(r.out);
  EXPECT_EQ(shown["messages"][0]["role"], "system");

  r = ossa::test::run_ossa({"sessions", "rm", ids[0], "--transcript-dir", dir.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir / (ids[0] + ".jsonl")));
  r = ossa::test::run_ossa({"sessions", "rm", ids[0], "--transcript-dir", dir.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no session " + ids[0]), std::string::npos) << r.err;

  // Not a transcript: listed as unreadable, and never deleted.
  { std::ofstream(dir / "notes.jsonl") << "my notes\n"; }
  r = ossa::test::run_ossa({"sessions", "--transcript-dir", dir.string(), "--json"});
  list = json::parse(r.out)["sessions"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["state"], "unreadable");
  r = ossa::test::run_ossa({"sessions", "rm", "notes", "--transcript-dir", dir.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("notes.jsonl:1: not a transcript line"), std::string::npos) << r.err;
  EXPECT_EQ(file_bytes(dir / "notes.jsonl"), "my notes\n");
}

// The model is recorded as an absolute path, and --resume goes on with it unless --model
// names another; a stopped turn says how to continue.
TEST_F(E2E, ResumeUsesTheRecordedModelAndStopSaysHowToResume) {
  const fs::path dir = root_ / "resume_model";
  const fs::path relative = fs::relative(root_ / "model");
  auto r = ossa::test::run_ossa({"run", "--model", relative.string(), "--config",
                                 (root_ / "none.toml").string(), "--workspace",
                                 (root_ / "ws").string(), "--max-tokens", "4", "--temperature",
                                 "1", "--seed", "5", "--transcript-dir", dir.string(), "Hi."});
  ASSERT_EQ(r.exit_code, 1) << r.err;  // four tokens are not an answer
  auto at = r.err.find("to continue: ossa run --resume ");
  ASSERT_NE(at, std::string::npos) << r.err;
  std::string id = r.err.substr(at + 31, r.err.find(' ', at + 31) - (at + 31));
  EXPECT_NE(r.err.find("stopped: max_tokens"), std::string::npos) << r.err;
  ASSERT_TRUE(fs::exists(dir / (id + ".jsonl"))) << id;
  auto c = ossa::runtime::read_transcript((dir / (id + ".jsonl")).string());
  EXPECT_EQ(c.events.front()["model"], (root_ / "model").string());

  // No --model, and none configured: the recorded one.
  ::unsetenv("OSSA_MODEL");
  r = ossa::test::run_ossa({"run", "--config", (root_ / "none.toml").string(), "--workspace",
                            (root_ / "ws").string(), "--max-tokens", "4", "--transcript-dir",
                            dir.string(), "--resume", id, "Go on."});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  c = ossa::runtime::read_transcript((dir / (id + ".jsonl")).string());
  json resumed;
  for (const auto& e : c.events)
    if (e["type"] == "session_resume") resumed = json::parse(e.dump());
  EXPECT_EQ(resumed["config"]["model"], (root_ / "model").string());
  // --model wins.
  r = ossa::test::run_ossa({"run", "--config", (root_ / "none.toml").string(), "--model",
                            (root_ / "other-model").string(), "--transcript-dir", dir.string(),
                            "--resume", id, "Go on."});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("other-model"), std::string::npos) << r.err;
}

// Nothing said, nothing recorded; --no-transcript records nothing at all.
TEST_F(E2E, NoTranscriptForSilentSessionsOrWhenAskedNotTo) {
  const fs::path dir = root_ / "silent";
  auto r = ossa::test::run_ossa({"chat", "--model", (root_ / "model").string(), "--config",
                                 (root_ / "none.toml").string(), "--workspace",
                                 (root_ / "ws").string(), "--transcript-dir", dir.string()},
                                "/session\n/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(!fs::exists(dir) || fs::is_empty(dir));

  auto a = base_args("4");
  a.insert(a.end(), {"--transcript-dir", dir.string(), "--no-transcript", "Hi."});
  r = ossa::test::run_ossa(a);
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(lines.front()["transcript"].is_null()) << r.out;
  EXPECT_TRUE(!fs::exists(dir) || fs::is_empty(dir));

  a = base_args("4");
  a.insert(a.end(), {"--no-transcript", "--resume", "x"});
  r = ossa::test::run_ossa(a);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--no-transcript"), std::string::npos) << r.err;
}

// Issue 19: `ossa generate --prompt TEXT` beside --tokens; the text is encoded with the built-in
// tokenizer (harmony's special tokens included) and the generated text comes back with the ids.
TEST_F(E2E, GenerateTakesAPromptText) {
  auto by_text = ossa::test::run_ossa({"generate", "--model", (root_ / "model").string(), "--prompt",
                                       "<|start|>user<|message|>Hi<|end|>", "-n", "3",
                                       "--temperature", "0"});
  ASSERT_EQ(by_text.exit_code, 0) << by_text.err;
  json a = json::parse(by_text.out);
  EXPECT_EQ(a["tokens"].size(), 3u);
  EXPECT_TRUE(a["text"].is_string());
  const auto ids = ossa::harmony::Tokenizer::builtin().encode_with_specials("<|start|>user<|message|>Hi<|end|>");
  std::string list;
  for (auto id : ids) {
    if (!list.empty()) list += ',';
    list += std::to_string(id);
  }
  auto by_ids = ossa::test::run_ossa({"generate", "--model", (root_ / "model").string(), "--tokens",
                                      list, "-n", "3", "--temperature", "0"});
  ASSERT_EQ(by_ids.exit_code, 0) << by_ids.err;
  EXPECT_EQ(json::parse(by_ids.out)["tokens"], a["tokens"]);
  auto both = ossa::test::run_ossa({"generate", "--model", (root_ / "model").string(), "--tokens",
                                    "1", "--prompt", "x"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  auto neither = ossa::test::run_ossa({"generate", "--model", (root_ / "model").string()});
  EXPECT_EQ(neither.exit_code, 2) << neither.err;
  EXPECT_NE(neither.err.find("give --tokens IDS or --prompt TEXT"), std::string::npos) << neither.err;
}

// Issue 19: `ossa chat` says what the agent has before the first message, and Ctrl-D (end of
// input) leaves the terminal on a clean line.
TEST_F(E2E, ChatShowsABannerAndLeavesACleanLineAtEndOfInput) {
  auto r = ossa::test::run_ossa({"chat", "--model", (root_ / "model").string(), "--config",
                                 (root_ / "none.toml").string(), "--workspace",
                                 (root_ / "ws").string(), "--tools", "python", "--approve", "none",
                                 "--no-transcript"},
                                "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("  model      " + (root_ / "model").string() + "\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  tools      python\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  workspace  " + (root_ / "ws").string() + "\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  sandbox    default, 2048 MiB\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  approvals  none\n"), std::string::npos) << r.err;
  ASSERT_GE(r.err.size(), 3u);
  EXPECT_EQ(r.err.substr(r.err.size() - 3), "> \n") << r.err;
}

// Issue 19: `chat --resume` shows the conversation so far before going on.
TEST_F(E2E, ChatResumeShowsTheConversationSoFar) {
  const fs::path t = root_ / "chat_resume.jsonl";
  auto a = base_args("4");
  a.insert(a.end(), {"--transcript", t.string(), "Remember the word pelican."});
  auto r = ossa::test::run_ossa(a);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  r = ossa::test::run_ossa({"chat", "--config", (root_ / "none.toml").string(), "--workspace",
                            (root_ / "ws").string(), "--max-tokens", "4", "--approve", "none",
                            "--resume", t.string()},
                           "/quit\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("\n> Remember the word pelican.\n"), std::string::npos) << r.err;
}

// Issue 19: on a terminal each turn ends with its timings (prompt, cached and generated
// tokens, prefill and decode speed); -q leaves them out, and so does a pipe.
TEST_F(E2E, TerminalShowsTimingsAfterEachTurn) {
  const std::regex timings(
      R"(prompt [0-9]+ tokens \([0-9]+ cached\), prefill [0-9.]+ tok/s; generated 4 tokens, decode [0-9.]+ tok/s; [0-9.]+ s)");
  auto args = base_args("4");
  args.pop_back();  // --json
  args.insert(args.end(), {"--no-transcript", "Hi."});
  auto r = ossa::test::run_ossa_in_terminal(args);
  EXPECT_EQ(r.exit_code, 1) << r.out;  // four tokens are not an answer
  EXPECT_TRUE(std::regex_search(r.out, timings)) << r.out;
  EXPECT_NE(r.out.find("stopped: max_tokens"), std::string::npos) << r.out;

  auto quiet = args;
  quiet.insert(quiet.begin(), "-q");
  r = ossa::test::run_ossa_in_terminal(quiet);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(r.out.find("prefill"), std::string::npos) << r.out;

  auto piped = ossa::test::run_ossa(args);
  EXPECT_EQ(piped.exit_code, 1) << piped.err;
  EXPECT_EQ(piped.err.find("prefill"), std::string::npos) << piped.err;
}

namespace {

// Sets an environment variable for the scope of a test (the children it starts inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The user messages of the one transcript in `dir`.
std::vector<std::string> user_messages_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto c = ossa::runtime::read_transcript(e.path().string());
    for (const auto& m : ossa::runtime::transcript_messages(c))
      if (m.value("role", "") == "user") out.push_back(m["content"][0].value("text", ""));
  }
  return out;
}

}  // namespace

// Issue 19: on a terminal `ossa chat` edits lines (libedit): the up arrow brings back the line
// sent before, which is sent again (not `^[[A` echoed), the history outlives the session in
// $XDG_STATE_HOME/ossa/chat_history, and Ctrl-D on an empty line leaves on a clean line.
TEST_F(E2E, ChatEditsLinesWithAHistoryOnATerminal) {
  const ScopedEnv state("XDG_STATE_HOME", (root_ / "state").string());
  // libedit needs the terminal's description; xterm's is in ncurses-base (an essential package).
  const ScopedEnv term("TERM", "xterm");
  auto chat = [&](const fs::path& transcripts) {
    return std::vector<std::string>{"chat", "--model", (root_ / "model").string(), "--config",
                                    (root_ / "none.toml").string(), "--workspace",
                                    (root_ / "ws").string(), "--approve", "none", "--max-tokens",
                                    "4", "--transcript-dir", transcripts.string()};
  };
  // Each turn ends with its timings ("decode ... tok/s"), then the prompt comes back.
  auto r = ossa::test::run_ossa_in_terminal(
      chat(root_ / "edit1"), {{"for commands.", ""},
                              {"> ", "first line\r", true},
                              {"decode ", ""},
                              {"\n> ", "\x1b[A\r", true},
                              {"decode ", ""},
                              {"\n> ", "\x04", true}});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.out.find("^["), std::string::npos) << r.out;
  EXPECT_EQ(user_messages_in(root_ / "edit1"),
            (std::vector<std::string>{"first line", "first line"})) << r.out;
  // Ctrl-D: the last prompt is followed by a new line and nothing else.
  ASSERT_NE(r.out.rfind("> "), std::string::npos);
  EXPECT_EQ(r.out.substr(r.out.rfind("> ")), "> \r\n") << r.out;
  std::ifstream history(root_ / "state" / "ossa" / "chat_history");
  std::string saved((std::istreambuf_iterator<char>(history)), {});
  EXPECT_NE(saved.find("first"), std::string::npos) << saved;
  EXPECT_EQ(fs::status(root_ / "state" / "ossa" / "chat_history").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  // A new session starts with the history of the last: the up arrow finds "first line".
  r = ossa::test::run_ossa_in_terminal(
      chat(root_ / "edit2"),
      {{"for commands.", ""}, {"> ", "\x1b[A\r", true}, {"decode ", ""}, {"\n> ", "\x04", true}});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(user_messages_in(root_ / "edit2"), (std::vector<std::string>{"first line"})) << r.out;
}
