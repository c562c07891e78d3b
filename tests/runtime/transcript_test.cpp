// Transcripts: append-only JSONL that survives a crash mid-write.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/transcript.hpp"

using namespace ossa::runtime;
using nlohmann::json;

namespace {
std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("ossa_tr_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  return (dir / "s.jsonl").string();
}
}  // namespace

TEST(Transcript, AppendsAndReadsBack) {
  std::string p = temp_path("rw");
  {
    auto w = TranscriptWriter::create(p);
    w.append({{"type", "message"}, {"message", {{"role", "user"}, {"content", "hi"}}}}, true);
    w.append({{"type", "round"}, {"prompt_tokens", 10}}, false);
  }
  auto c = read_transcript(p);
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_FALSE(c.torn_tail);
  EXPECT_TRUE(c.events[0].contains("time"));
  auto msgs = transcript_messages(c);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["content"], "hi");
  EXPECT_THROW(TranscriptWriter::create(p), TranscriptError);  // never overwrites
}

TEST(Transcript, TornLastLineIsDroppedAndCutBeforeAppending) {
  std::string p = temp_path("torn");
  {
    auto w = TranscriptWriter::create(p);
    w.append({{"type", "message"}, {"message", {{"role", "user"}, {"content", "a"}}}}, true);
  }
  { std::ofstream(p, std::ios::app) << R"({"type":"message","message":{"role":"assi)"; }
  auto c = read_transcript(p);
  EXPECT_TRUE(c.torn_tail);
  EXPECT_EQ(c.events.size(), 1u);
  {
    auto w = TranscriptWriter::open_existing(p);
    w.append({{"type", "message"}, {"message", {{"role", "user"}, {"content", "b"}}}}, true);
  }
  c = read_transcript(p);
  EXPECT_FALSE(c.torn_tail);
  auto msgs = transcript_messages(c);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1]["content"], "b");
}

TEST(Transcript, CorruptionBeforeTheLastLineIsAnError) {
  std::string p = temp_path("corrupt");
  std::filesystem::create_directories(std::filesystem::path(p).parent_path());
  std::ofstream(p) << "{\"type\":\"a\"}\nnot json\n{\"type\":\"b\"}\n";
  EXPECT_THROW(read_transcript(p), TranscriptError);
}

TEST(Transcript, InvalidUtf8FromTheModelIsStillWritten) {
  std::string p = temp_path("utf8");
  {
    auto w = TranscriptWriter::create(p);
    w.append({{"type", "message"}, {"message", {{"content", std::string("bad \xff byte")}}}}, true);
  }
  EXPECT_EQ(read_transcript(p).events.size(), 1u);
}

TEST(Transcript, IdsAndPaths) {
  std::string a = new_session_id(), b = new_session_id();
  EXPECT_NE(a, b);
  EXPECT_EQ(transcript_path("/d", a), "/d/" + a + ".jsonl");
  EXPECT_EQ(transcript_path("/d", "x/y.jsonl"), "x/y.jsonl");
}

// Issue 17, item 2 (transcripts inside the workspace): a transcript replaced by a link to
// another file is neither read nor appended to.
TEST(Transcript, LinksAreNotFollowed) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ossa-transcript-link-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path target = dir / "elsewhere.jsonl", link = dir / "session.jsonl";
  std::ofstream(target) << "{\"type\":\"message\",\"message\":{\"role\":\"user\",\"content\":\"hi\"}}\n";
  fs::create_symlink(target, link);
  EXPECT_THROW(read_transcript(link.string()), TranscriptError);
  EXPECT_THROW(TranscriptWriter::open_existing(link.string()), TranscriptError);
  EXPECT_THROW(TranscriptWriter::create(link.string()), TranscriptError);
  EXPECT_EQ(fs::file_size(target), 60u);
  EXPECT_NO_THROW(read_transcript(target.string()));
  fs::remove_all(dir);
}
