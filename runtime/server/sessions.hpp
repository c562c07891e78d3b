#pragma once
// Sessions as the web UI shows them, over the stored responses: a session is a chain of
// responses linked by previous_response_id and is named by its newest one (its head: no stored
// response continues it). Resuming a session is a Responses request whose previous_response_id
// is the head. Pure functions over ResponseStore::records() ({"id", "response", "conversation"}),
// so they are tested without a server.
#include <optional>
#include <string>
#include <vector>

#include "runtime/server/api_error.hpp"
#include "runtime/server/generation_request.hpp"

namespace ossa::server {

// {"object": "list", "data": [{"id", "title", "created_at", "updated_at", "turns"}]}, newest
// first. The title is the session's first user message, cut to 80 characters.
Json list_sessions(const std::vector<Json>& records);

// The stored ids of the chain ending at `head`, oldest first (a deleted ancestor ends the walk);
// empty when `head` is not stored.
std::vector<std::string> session_chain(const std::vector<Json>& records, const std::string& head);

// The ids deleting the session `head` removes: its chain, less the responses another session's
// chain still goes through (a session branched from this one keeps its history).
std::vector<std::string> session_deletable(const std::vector<Json>& records, const std::string& head);

// {"id", "title", "settings": {instructions, reasoning_effort, tools}, "turns": [{"response_id",
// "created_at", "status", "usage", "items": [...]}]}; nullopt when `head` is not stored.
// Items: {"type": "user"|"reasoning"|"message", "text"} and {"type": "tool_call", "tool",
// "arguments", "output"} (output null when no result followed).
std::optional<Json> session_view(const std::vector<Json>& records, const std::string& head);

// The display items of harmony messages (JSON as ResponseStore keeps them).
Json conversation_items(const Json& messages);

// What the page needs to know about this server: {"model", "tools": ["code_interpreter",
// "web_search"] (those it runs), "reasoning_effort"}.
Json server_info(const MappingContext& ctx);

// `text` cut to at most `max_chars` code points (never inside a UTF-8 sequence), "…" appended
// when cut.
std::string cut_text(const std::string& text, std::size_t max_chars);

}  // namespace ossa::server
