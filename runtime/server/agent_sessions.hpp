#pragma once
// The web UI's agent sessions: the same AgentSession `ossa run` drives (runtime/agent_session.hpp),
// run on the server's event loop, each recorded in its transcript in `ossa run`'s transcript
// folder (so `ossa run --resume ID` continues a session the page started, and the page
// continues one `ossa run` started). Tools that need approval, in "ask" mode, wait for the
// page: the call is parked until POST .../approval decides it (or the turn is stopped, which
// denies it), and the model is told either way.
//
// Routes (all behind the API key; ids are transcript file names, transcript_sessions.hpp):
//   GET    /ossa/agents                    the transcripts, newest first, with live state
//   POST   /ossa/agents                    a new session {reasoning_effort, instructions, approve}
//   GET    /ossa/agents/{id}               its turns (transcript_session_view)
//   DELETE /ossa/agents/{id}               deletes its transcript (409 while a turn runs)
//   POST   /ossa/agents/{id}/turns         {input}: starts a turn (202); the session is resumed
//                                          from its transcript when it is not open here
//   GET    /ossa/agents/{id}/events        Server-Sent Events: the current (or last) turn's
//                                          events from its start, ending with its turn_end
//   POST   /ossa/agents/{id}/approval      {approved: bool}: decides the waiting call
//   POST   /ossa/agents/{id}/cancel        stops the running turn
// Events are the session's own (runtime/events.hpp, the JSON `ossa run --json` prints) plus
// {"type": "approval_request", "recipient", "body"} when a call waits for the page.
//
// Each open session holds its own token source (an engine session with its KV cache); at most
// `max_open` are open, the least recently used idle one is closed to open another (its
// transcript stays; it is resumed when used again). Used from the event loop's thread only.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/config.hpp"
#include "runtime/engine_worker.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/server/api_error.hpp"
#include "runtime/server/slot_pool.hpp"
#include "tools/registry.hpp"

namespace ossa::server {

struct AgentSessionsDeps {
  const harmony::Tokenizer* tokenizer = nullptr;
  const tools::Registry* registry = nullptr;
  runtime::EngineWorker* worker = nullptr;
  SourceFactory* factory = nullptr;
  tools::ToolContext tool_context;  // Environment::tool_context(): workspace, limits, secrets
  runtime::Config config;           // limits, approvals, date, temperature: as `ossa run`'s
  std::string model_id;
  std::filesystem::path dir;        // the transcript folder
  int max_open = 4;
};

// The events of one turn, in order, and the streams waiting for more.
class EventFeed {
 public:
  explicit EventFeed(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  void push(Json event);
  void close();  // the turn ended: no more events
  const std::vector<Json>& events() const { return events_; }
  bool closed() const { return closed_; }
  // Resumes after the next push() or close() (at once when closed).
  boost::asio::awaitable<void> wait();

 private:
  void wake();
  boost::asio::any_io_executor ex_;
  std::vector<Json> events_;
  bool closed_ = false;
  std::vector<std::shared_ptr<void>> waiters_;
};

class AgentSessions {
 public:
  AgentSessions(boost::asio::any_io_executor ex, AgentSessionsDeps deps);
  ~AgentSessions();
  AgentSessions(const AgentSessions&) = delete;
  AgentSessions& operator=(const AgentSessions&) = delete;

  static bool is_route(const std::string& path);
  // Whether `method path` is the events stream (answered by feed(), not handle()).
  static bool is_events_route(const std::string& method, const std::string& path);
  // Every route but the events stream: the JSON body of a 200 (202 for a started turn is
  // answered as 200 with {"id", "status": "running"}). Throws ApiError: 400 bad body, 404
  // unknown session, 405, 409 (a turn runs, nothing to decide, the transcript is in use by
  // another process), 422 (not a transcript this version can continue), 429 (every open
  // session is running).
  Json handle(const std::string& method, const std::string& path, const std::string& body);
  // The feed of `GET /ossa/agents/{id}/events`; throws ApiError 404 when the session is not
  // open here (no turn ran since the server started).
  std::shared_ptr<EventFeed> feed(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ossa::server
