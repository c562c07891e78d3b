#pragma once
// The sessions in a transcript folder, summarised for `ossa sessions`: one entry per
// transcript, read (never written) from its events.
//
//   for (const SessionSummary& s : ossa::runtime::list_sessions(dir)) ...
//   SessionSummary one = ossa::runtime::summarise_session(path);
//
// A file that is not a readable transcript is still listed, with its error, so that the user
// sees what is in the folder. Temporary files of sessions being opened (`*.partial`) are not
// sessions.
#include <string>
#include <vector>

#include "runtime/transcript.hpp"

namespace ossa::runtime {

struct SessionSummary {
  std::string id;          // the recorded id (the file name's stem when unreadable)
  std::string path;
  long long started_ms = 0;  // session_start time
  long long updated_ms = 0;  // the last event's time
  std::string model;       // as recorded at the start (an absolute path since issue 19)
  std::string first_task;  // the first user message's text, on one line
  int turns = 0;           // turns that ended (turn_end events)
  // answered (last turn ended with a final answer), stopped (a limit or a cancel), interrupted
  // (a turn began and never ended: a crash or kill), empty (nothing was asked), unreadable
  std::string state;
  std::string stop_reason;  // the last turn_end reason
  std::string error;        // for unreadable
  std::vector<Event> messages;  // the conversation (only filled by summarise_session)
};

// Every *.jsonl in `dir`, most recently updated first; none when the folder does not exist.
std::vector<SessionSummary> list_sessions(const std::string& dir);
// One transcript; `with_messages` keeps the conversation.
SessionSummary summarise_session(const std::string& path, bool with_messages);
// The text of a harmony message JSON (its text parts joined); empty for system/developer.
std::string message_text(const Event& message);

}  // namespace ossa::runtime
