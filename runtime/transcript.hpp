#pragma once
// A session's transcript: an append-only JSONL event log, one JSON object per line.
//
// Every event carries "type" and "time" (ms since the Unix epoch). The conversation is rebuilt
// from the "message" events ({"type":"message","message":{<harmony message JSON>}}) in order;
// the other events (tool_call, tool_result, round, turn_end, warning, ...) are the record of
// what happened and how long it took.
//
// Durability: append(event, sync=true) fsyncs before returning; the agent loop syncs at every
// message boundary, so after kill -9 at most the message being generated is lost. A new
// transcript is written under a temporary name and published whole (publish()): the session's
// opening (session_start, system and developer messages) exists on disk entirely or not at all.
// Only a last line without its newline can be a torn write (the process died inside write());
// it is tolerated by read_transcript and cut off by TranscriptWriter::open_existing before
// anything new is appended. Anything else that is not a transcript is refused untouched.
// A writer holds an exclusive lock on its file: two processes never append to one session.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace ossa::runtime {

// Events keep their keys in insertion order: a message's tool schemas must read back exactly as
// written, since property order is what the model is shown.
using Event = nlohmann::ordered_json;

struct TranscriptError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TranscriptContents {
  std::vector<Event> events;
  std::size_t valid_bytes = 0;  // length of the prefix made of complete, valid lines
  bool torn_tail = false;       // bytes after valid_bytes were dropped
};

// Reads every complete event. A last line without its newline is a torn tail (dropped,
// reported). A complete line that is not a JSON object is corruption: throws TranscriptError
// naming the line.
TranscriptContents read_transcript(const std::string& path);

// Throws TranscriptError unless `t` is a transcript: its first event is a session_start with
// a string id. `path` names it in the message.
void check_transcript(const TranscriptContents& t, const std::string& path);

// The id recorded in the transcript's session_start.
std::string transcript_session_id(const TranscriptContents& t);

// The "message" events' payloads, in order.
std::vector<Event> transcript_messages(const TranscriptContents& t);

// A fresh session id: UTC time plus random hex, e.g. "20261128-150102-3fa9c1d2".
std::string new_session_id();

// The file of session `id_or_path` in `dir`: a value containing '/' or ending in ".jsonl" is a
// path used as is; otherwise dir/<id>.jsonl.
std::string transcript_path(const std::string& dir, const std::string& id_or_path);

class TranscriptWriter {
 public:
  // Creates `path` (and its parent folders) and publishes it at once; fails if it exists.
  static TranscriptWriter create(const std::string& path);
  // Starts a new transcript under a temporary name beside `path` (`path` must not exist);
  // nothing is visible at `path` until publish().
  static TranscriptWriter create_staged(const std::string& path);
  // Opens an existing transcript for appending: locks it, checks it is a transcript (see
  // check_transcript; nothing is changed when it is not), then cuts a torn tail.
  static TranscriptWriter open_existing(const std::string& path);

  // Makes a staged transcript visible at its path, with everything appended so far, durably
  // (fsync of the file and the folder). Fails if the path was taken meanwhile. No-op when
  // already published.
  void publish();

  TranscriptWriter(TranscriptWriter&& o) noexcept;
  TranscriptWriter& operator=(TranscriptWriter&& o) noexcept;
  TranscriptWriter(const TranscriptWriter&) = delete;
  TranscriptWriter& operator=(const TranscriptWriter&) = delete;
  ~TranscriptWriter();

  // Writes `event` as one line, adding "time" when absent. `sync`: fdatasync before return.
  // Throws TranscriptError on a failed write (disk full...): losing the record silently is
  // worse than stopping.
  void append(Event event, bool sync);
  void sync();
  const std::string& path() const { return path_; }
  bool staged() const { return !staged_.empty(); }  // not yet published

 private:
  TranscriptWriter(int fd, std::string path, std::string staged = {})
      : fd_(fd), path_(std::move(path)), staged_(std::move(staged)) {}
  int fd_ = -1;
  std::string path_;
  std::string staged_;  // the temporary file until publish(); empty once published
};

// Milliseconds since the Unix epoch.
long long now_ms();

}  // namespace ossa::runtime
