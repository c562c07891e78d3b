// Transcripts: append-only JSONL that survives a crash mid-write.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

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
    w.append({{"type", "session_start"}, {"id", "s1"}}, true);
    w.append({{"type", "message"}, {"message", {{"role", "user"}, {"content", "a"}}}}, true);
  }
  { std::ofstream(p, std::ios::app) << R"({"type":"message","message":{"role":"assi)"; }
  auto c = read_transcript(p);
  EXPECT_TRUE(c.torn_tail);
  EXPECT_EQ(c.events.size(), 2u);
  {
    auto w = TranscriptWriter::open_existing(p);
    w.append({{"type", "message"}, {"message", {{"role", "user"}, {"content", "b"}}}}, true);
  }
  c = read_transcript(p);
  EXPECT_FALSE(c.torn_tail);
  EXPECT_EQ(transcript_session_id(c), "s1");
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

namespace {
std::string bytes_of(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_bytes(const std::string& p, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(p).parent_path());
  std::ofstream(p, std::ios::binary) << data;
}
}  // namespace

// --resume used to take any one-line file for a torn tail, cut it to 0 bytes and write a session
// into it, and to append a session to any JSONL file. A file that does not start with a
// session_start is refused, byte for byte untouched.
TEST(Transcript, FilesThatAreNotTranscriptsAreRefusedUntouched) {
  const std::vector<std::string> files = {
      "some notes, no newline",
      "[1,2,3]\n",
      std::string("\x7f""ELF\x02\x01\x01\0\0\0", 10),
      "{\"a\": 1}\n{\"b\": 2}\n",
      "",
  };
  int i = 0;
  for (const std::string& content : files) {
    std::string p = temp_path("foreign" + std::to_string(i++));
    write_bytes(p, content);
    EXPECT_THROW(TranscriptWriter::open_existing(p), TranscriptError) << content;
    EXPECT_EQ(bytes_of(p), content);
  }
}

// Only a line without its newline can be a torn write: a complete last line that is not JSON
// is corruption, reported and left in place, never deleted as if torn.
TEST(Transcript, CompleteInvalidLastLineIsNotTakenForATornWrite) {
  std::string p = temp_path("badlast");
  const std::string content = "{\"type\":\"session_start\",\"id\":\"x\"}\nnot json\n";
  write_bytes(p, content);
  EXPECT_THROW(read_transcript(p), TranscriptError);
  EXPECT_THROW(TranscriptWriter::open_existing(p), TranscriptError);
  EXPECT_EQ(bytes_of(p), content);
}

// Two writers of one transcript would interleave two conversations: the second is refused.
TEST(Transcript, SecondWriterOfATranscriptIsRefused) {
  std::string p = temp_path("lock");
  auto first = TranscriptWriter::create(p);
  first.append({{"type", "session_start"}, {"id", "s"}}, true);
  try {
    auto second = TranscriptWriter::open_existing(p);
    ADD_FAILURE() << "a second writer was allowed";
  } catch (const TranscriptError& e) {
    EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
  }
}

// A new transcript appears whole: nothing at its path until publish(), and a writer dropped
// before publishing leaves no file behind (the opening is one durable unit).
TEST(Transcript, StagedTranscriptAppearsOnlyWhenPublished) {
  std::string p = temp_path("staged");
  auto dir = std::filesystem::path(p).parent_path();
  {
    auto w = TranscriptWriter::create_staged(p);
    w.append({{"type", "session_start"}, {"id", "s"}}, true);
    EXPECT_FALSE(std::filesystem::exists(p));
  }
  EXPECT_FALSE(std::filesystem::exists(p));
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  {
    auto w = TranscriptWriter::create_staged(p);
    w.append({{"type", "session_start"}, {"id", "s"}}, true);
    w.append({{"type", "message"}, {"message", {{"role", "system"}, {"content", "x"}}}}, true);
    w.publish();
    EXPECT_TRUE(std::filesystem::exists(p));
    w.append({{"type", "message"}, {"message", {{"role", "user"}, {"content", "y"}}}}, true);
  }
  auto c = read_transcript(p);
  EXPECT_EQ(c.events.size(), 3u);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
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
