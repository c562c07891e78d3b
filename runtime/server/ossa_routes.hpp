#pragma once
// The routes under /ossa/ that the web UI needs beyond OpenAI's, behind the same API key:
//   GET    /ossa/info            the model and the server-side tools this server runs
//   GET    /ossa/sessions        the stored sessions, newest first (sessions.hpp)
//   GET    /ossa/sessions/{id}   one session's turns, for the page to show and resume
//   DELETE /ossa/sessions/{id}   deletes the session's stored responses
// A pure function of the method, the path and the store: tested without sockets. The agent
// sessions' routes (/ossa/agents/...: ossa run's transcripts, approvals) are agent_sessions.hpp's.
#include <string>

#include "runtime/server/api_error.hpp"
#include "runtime/server/generation_request.hpp"
#include "runtime/server/response_store.hpp"

namespace ossa::server {

bool is_ossa_route(const std::string& path);

// The JSON body of a 200 answer. Throws ApiError: 404 for an unknown route or session, 405 for
// a method the route does not take.
Json handle_ossa_route(const std::string& method, const std::string& path, ResponseStore& store,
                       const MappingContext& ctx);

}  // namespace ossa::server
