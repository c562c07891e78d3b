#pragma once
// A session's transcript: an append-only JSONL event log, one JSON object per line.
//
// Every event carries "type" and "time" (ms since the Unix epoch). The conversation is rebuilt
// from the "message" events ({"type":"message","message":{<harmony message JSON>}}) in order;
// the other events (tool_call, tool_result, round, turn_end, warning, ...) are the record of
// what happened and how long it took.
//
// Durability: append(event, sync=true) fsyncs before returning; the agent loop syncs at every
// message boundary, so after kill -9 at most the message being generated is lost. A torn last
// line (the process died inside write()) is tolerated by read_transcript and cut off by
// TranscriptWriter::open_existing before anything new is appended.
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

// Reads every complete event. A last line without its newline or not valid JSON is a torn
// tail (dropped, reported). An invalid line followed by valid ones is corruption: throws.
TranscriptContents read_transcript(const std::string& path);

// The "message" events' payloads, in order.
std::vector<Event> transcript_messages(const TranscriptContents& t);

// A fresh session id: UTC time plus random hex, e.g. "20261128-150102-3fa9c1d2".
std::string new_session_id();

// The file of session `id_or_path` in `dir`: a value containing '/' or ending in ".jsonl" is a
// path used as is; otherwise dir/<id>.jsonl.
std::string transcript_path(const std::string& dir, const std::string& id_or_path);

class TranscriptWriter {
 public:
  // Creates `path` (and its parent folders); fails if it already exists.
  static TranscriptWriter create(const std::string& path);
  // Opens an existing transcript for appending; truncates a torn tail first.
  static TranscriptWriter open_existing(const std::string& path);

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

 private:
  TranscriptWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// Milliseconds since the Unix epoch.
long long now_ms();

}  // namespace ossa::runtime
