#pragma once
// Agent sessions as `ossa run` records them: the transcripts (runtime/transcript.hpp) in one
// folder, `ossa run`'s default one unless `--transcript-dir` says otherwise. The web UI lists,
// shows and deletes them here whoever wrote them (`ossa run`, `ossa chat` or the server's own
// agent sessions, agent_sessions.hpp). A session's id is its file's name without ".jsonl".
#include <filesystem>
#include <optional>
#include <string>

#include "runtime/server/api_error.hpp"
#include "runtime/transcript.hpp"

namespace ossa::server {

// Whether `id` can name a transcript in the folder: letters, digits, '-', '_', '.', not
// starting with '.', at most 128 characters (nothing that climbs out of the folder).
bool valid_session_id(const std::string& id);

// {"object": "list", "data": [{"id", "title", "created_at", "updated_at", "turns", "model"}]},
// newest first; times in seconds. Files that are not transcripts (or not readable) are left
// out; a transcript still being written is read up to its last complete line.
Json list_transcript_sessions(const std::filesystem::path& dir);

// {"reasoning_effort", "instructions", "approve"}: what the latest session_start or
// session_resume record says the session runs with.
Json transcript_settings(const std::vector<runtime::Event>& events);

// {"id", "title", "settings": {"reasoning_effort", "instructions", "approve"}, "turns": [{"items",
// "tokens"}]}: items as conversation_items (sessions.hpp), each tool_call with "status"
// (completed | failed | denied | requested) from the transcript's tool_result events; tokens is
// what the turn generated. nullopt when there is no such transcript; ApiError 422 when the file
// is not a transcript.
std::optional<Json> transcript_session_view(const std::filesystem::path& dir, const std::string& id);

}  // namespace ossa::server
