// The web UI without a browser: the embedded files are the sources byte for byte, the page
// cannot run inline script or parse model text as markup, and the /ossa/ routes (sessions over
// the stored responses) as pure functions over a real ResponseStore.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "runtime/server/ossa_routes.hpp"
#include "runtime/server/responses_api.hpp"
#include "runtime/events.hpp"
#include "runtime/server/sessions.hpp"
#include "runtime/server/transcript_sessions.hpp"
#include "runtime/transcript.hpp"
#include "runtime/server/web_assets.hpp"
#include "tests/server/builtin_namespaces.hpp"

namespace {
using namespace ossa;
using namespace ossa::server;
namespace fs = std::filesystem;
using harmony::Message;
using harmony::Role;

std::string read_source(const std::string& name) {
  std::ifstream f(fs::path(OSSA_WEBUI_SOURCE_DIR) / name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(WebAssets, EveryPageFileIsEmbeddedByteForByte) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(OSSA_WEBUI_SOURCE_DIR))
    if (entry.path().extension() != ".md") names.push_back(entry.path().filename().string());
  ASSERT_EQ(embedded_web_files().size(), names.size());
  for (const std::string& name : names) {
    const WebAsset* a = find_web_asset(name == "index.html" ? "/" : "/ui/" + name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_EQ(a->body, read_source(name)) << name;
    EXPECT_FALSE(a->body.empty());
  }
}

TEST(WebAssets, PathsMapExactlyWithContentTypes) {
  ASSERT_NE(find_web_asset("/"), nullptr);
  EXPECT_EQ(find_web_asset("/")->name, "index.html");
  EXPECT_EQ(find_web_asset("/index.html"), find_web_asset("/"));
  EXPECT_EQ(find_web_asset("/")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(find_web_asset("/ui/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(find_web_asset("/ui/style.css")->content_type, "text/css; charset=utf-8");
  for (const char* bad : {"/ui/", "/ui", "/ui/../app.js", "/ui/./app.js", "/ui//app.js", "/app.js",
                          "/ui/app.js/", "/ui/APP.JS", "/ui/README.md", "/v1/models", ""})
    EXPECT_EQ(find_web_asset(bad), nullptr) << bad;
  EXPECT_EQ(content_type_for("x.png"), "image/png");
  EXPECT_EQ(content_type_for("x.bin"), "application/octet-stream");
}

TEST(WebAssets, ContentSecurityPolicyAllowsOnlyTheOwnOriginAndNoInlineOrEval) {
  std::string csp(web_content_security_policy());
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_EQ(csp.find("*"), std::string::npos);
}

// The CSP would block these anyway; the page is also written so it needs no exception.
TEST(WebAssets, PageHasNoInlineScriptNoHandlersAndNoOtherHosts) {
  std::string html(find_web_asset("/")->body);
  std::smatch m;
  std::regex script_tag("<script([^>]*)>", std::regex::icase);
  int scripts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag); it != std::sregex_iterator(); ++it) {
    ++scripts;
    EXPECT_NE((*it)[1].str().find("src=\"/ui/"), std::string::npos) << (*it)[0];
  }
  EXPECT_EQ(scripts, 1);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+\s*=)", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\sstyle\s*=)", std::regex::icase)));
  EXPECT_EQ(html.find("<style"), std::string::npos);
  for (const char* name : {"/", "/ui/app.js", "/ui/style.css"}) {
    std::string body(find_web_asset(name)->body);
    EXPECT_EQ(body.find("http://"), std::string::npos) << name;
    EXPECT_EQ(body.find("https://"), std::string::npos) << name;
  }
}

// Model and tool text reaches the DOM through textContent only: the script never asks the
// browser to parse a string as markup or code.
TEST(WebAssets, ScriptNeverParsesStringsAsMarkupOrCode) {
  std::string js(find_web_asset("/ui/app.js")->body);
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                           "new Function", "createContextualFragment", "DOMParser", "srcdoc",
                           "setTimeout('", "setTimeout(\""})
    EXPECT_EQ(js.find(sink), std::string::npos) << sink;
  EXPECT_NE(js.find("textContent"), std::string::npos);
  // The key lives in sessionStorage, never in localStorage (it would outlive the tab).
  EXPECT_EQ(js.find("localStorage"), std::string::npos);
}

// ---- sessions over stored records ------------------------------------------------------------

Json msg(const Message& m) { return harmony::to_json(m); }

Message assistant(const std::string& channel, const std::string& text) {
  Message m = Message::text(Role::Assistant, text);
  m.channel = channel;
  return m;
}

Json record(const std::string& id, const std::string& previous, std::int64_t created,
            const std::vector<Message>& conversation) {
  Json conv = Json::array();
  for (const auto& m : conversation) conv.push_back(msg(m));
  Json resp = Json{{"id", id}, {"object", "response"}, {"created_at", created}, {"status", "completed"},
                   {"previous_response_id", previous.empty() ? Json(nullptr) : Json(previous)},
                   {"instructions", "Be brief."}, {"reasoning", {{"effort", "low"}, {"summary", nullptr}}},
                   {"tools", Json::array({Json{{"type", "code_interpreter"}}})},
                   {"usage", {{"input_tokens", 10}, {"output_tokens", 5}}}};
  return Json{{"id", id}, {"response", resp}, {"conversation", conv}};
}

// resp_a1 <- resp_a2 (session A), resp_a1 <- resp_b2 (a branch, session B), resp_c1 (session C).
std::vector<Json> sample_records() {
  Message u1 = Message::text(Role::User, "First question");
  Message a1 = assistant("final", "First answer");
  Message u2 = Message::text(Role::User, "Second question");
  Message call = assistant("analysis", "print(1)");
  call.recipient = "python";
  call.content_type = "code";
  Message result = Message::tool_result("python", "1\n", "analysis");
  Message a2 = assistant("final", "It printed 1");
  Message ub = Message::text(Role::User, "Branch question");
  Message ab = assistant("final", "Branch answer");
  Message uc = Message::text(Role::User, "Other topic");
  Message rc = assistant("analysis", "Thinking");
  Message ac = assistant("final", "Other answer");
  return {record("resp_a1", "", 100, {u1, a1}),
          record("resp_a2", "resp_a1", 200, {u1, a1, u2, call, result, a2}),
          record("resp_b2", "resp_a1", 150, {u1, a1, ub, ab}),
          record("resp_c1", "", 300, {uc, rc, ac})};
}

TEST(Sessions, ListsHeadsNewestFirstWithTitlesAndTurns) {
  Json list = list_sessions(sample_records());
  ASSERT_EQ(list["data"].size(), 3u);
  EXPECT_EQ(list["data"][0]["id"], "resp_c1");
  EXPECT_EQ(list["data"][0]["title"], "Other topic");
  EXPECT_EQ(list["data"][0]["turns"], 1);
  EXPECT_EQ(list["data"][1]["id"], "resp_a2");
  EXPECT_EQ(list["data"][1]["title"], "First question");
  EXPECT_EQ(list["data"][1]["turns"], 2);
  EXPECT_EQ(list["data"][1]["created_at"], 100);
  EXPECT_EQ(list["data"][1]["updated_at"], 200);
  EXPECT_EQ(list["data"][2]["id"], "resp_b2");
  EXPECT_EQ(list_sessions({})["data"].size(), 0u);
}

TEST(Sessions, ChainWalksBackAndStopsAtAMissingOrCyclicLink) {
  auto records = sample_records();
  EXPECT_EQ(session_chain(records, "resp_a2"), (std::vector<std::string>{"resp_a1", "resp_a2"}));
  EXPECT_TRUE(session_chain(records, "resp_zz").empty());
  records.erase(records.begin());  // resp_a1 deleted
  EXPECT_EQ(session_chain(records, "resp_a2"), (std::vector<std::string>{"resp_a2"}));
  std::vector<Json> cyc = {record("resp_x", "resp_y", 1, {}), record("resp_y", "resp_x", 2, {})};
  EXPECT_EQ(session_chain(cyc, "resp_x").size(), 2u);
}

TEST(Sessions, DeletingKeepsWhatABranchStillUses) {
  auto records = sample_records();
  EXPECT_EQ(session_deletable(records, "resp_a2"), (std::vector<std::string>{"resp_a2"}));
  EXPECT_EQ(session_deletable(records, "resp_c1"), (std::vector<std::string>{"resp_c1"}));
  records.erase(records.begin() + 2);  // without the branch, the whole chain goes
  EXPECT_EQ(session_deletable(records, "resp_a2"), (std::vector<std::string>{"resp_a1", "resp_a2"}));
  // Not a head: another session goes through it, so deleting it as a session removes nothing.
  EXPECT_TRUE(session_deletable(records, "resp_a1").empty());
}

TEST(Sessions, ViewSplitsTurnsAndPairsToolCallsWithResults) {
  auto view = session_view(sample_records(), "resp_a2");
  ASSERT_TRUE(view);
  EXPECT_EQ((*view)["title"], "First question");
  EXPECT_EQ((*view)["settings"]["instructions"], "Be brief.");
  EXPECT_EQ((*view)["settings"]["reasoning_effort"], "low");
  EXPECT_EQ((*view)["settings"]["tools"], Json::array({"code_interpreter"}));
  const Json& turns = (*view)["turns"];
  ASSERT_EQ(turns.size(), 2u);
  EXPECT_EQ(turns[0]["response_id"], "resp_a1");
  EXPECT_EQ(turns[0]["items"], Json::parse(R"j([{"type":"user","text":"First question"},
                                               {"type":"message","text":"First answer"}])j"));
  EXPECT_EQ(turns[1]["usage"]["output_tokens"], 5);
  EXPECT_EQ(turns[1]["items"], Json::parse(R"j([{"type":"user","text":"Second question"},
      {"type":"tool_call","tool":"python","arguments":"print(1)","output":"1\n"},
      {"type":"message","text":"It printed 1"}])j"));
  EXPECT_FALSE(session_view(sample_records(), "resp_nope"));
  // The first turn gone: the head shows its whole conversation as one turn.
  auto records = sample_records();
  records.erase(records.begin());
  auto alone = session_view(records, "resp_a2");
  ASSERT_TRUE(alone);
  ASSERT_EQ((*alone)["turns"].size(), 1u);
  EXPECT_EQ((*alone)["turns"][0]["items"].size(), 5u);
}

TEST(Sessions, ConversationItemsKeepUnansweredCallsAndStrayResults) {
  Message call = assistant("commentary", "{\"city\":\"Oslo\"}");
  call.recipient = "functions.get_weather";
  Json items = conversation_items(Json::array({msg(call), msg(Message::tool_result("browser.open", "page")),
                                               msg(assistant("analysis", "hmm"))}));
  EXPECT_EQ(items, Json::parse(R"j([
      {"type":"tool_call","tool":"functions.get_weather","arguments":"{\"city\":\"Oslo\"}","output":"page"},
      {"type":"reasoning","text":"hmm"}])j"));
  Json stray = conversation_items(Json::array({msg(Message::tool_result("python", "out"))}));
  EXPECT_EQ(stray, Json::parse(R"j([{"type":"tool_call","tool":"python","arguments":"","output":"out"}])j"));
  EXPECT_EQ(conversation_items(Json("not an array")), Json::array());
}

TEST(Sessions, TitlesAreCutOnCharacterBoundaries) {
  EXPECT_EQ(cut_text("short", 80), "short");
  EXPECT_EQ(cut_text("abcdef", 3), "abc\xE2\x80\xA6");
  // "é" is two bytes, "😀" four: cutting counts characters, never splits one.
  EXPECT_EQ(cut_text("\xC3\xA9\xC3\xA9\xC3\xA9", 2), "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
  EXPECT_EQ(cut_text("\xF0\x9F\x98\x80x", 1), "\xF0\x9F\x98\x80\xE2\x80\xA6");
  std::string long_title(200, 'q');
  auto records = std::vector<Json>{record("resp_t", "", 1, {Message::text(Role::User, long_title)})};
  Json title = list_sessions(records)["data"][0]["title"];
  EXPECT_NO_THROW(title.dump());
  EXPECT_EQ(title.get<std::string>(), std::string(80, 'q') + "\xE2\x80\xA6");
}

// ---- the /ossa/ routes over a real store ------------------------------------------------------

struct StoreDir {
  StoreDir() : dir(fs::temp_directory_path() / ("ossa-webui-" + make_id(""))) {}
  ~StoreDir() { fs::remove_all(dir); }
  fs::path dir;
};

MappingContext context() {
  MappingContext ctx;
  ctx.model_id = "test-model";
  ctx.builtins["python"] = test::builtin_namespaces().at("python");
  return ctx;
}

void fill(ResponseStore& store) {
  for (const Json& r : sample_records()) {
    std::vector<Message> conv;
    for (const Json& m : r["conversation"]) conv.push_back(*harmony::message_from_json(m));
    store.put(r["id"], r["response"], conv);
  }
}

int status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e.status();
  }
  return 200;
}

TEST(OssaRoutes, InfoNamesTheModelAndTheToolsThisServerRuns) {
  StoreDir d;
  ResponseStore store(d.dir);
  MappingContext ctx = context();
  Json info = handle_ossa_route("GET", "/ossa/info", store, ctx);
  EXPECT_EQ(info["model"], "test-model");
  EXPECT_EQ(info["tools"], Json::array({"code_interpreter"}));
  ctx.builtins["browser"] = test::builtin_namespaces().at("browser");
  EXPECT_EQ(handle_ossa_route("GET", "/ossa/info", store, ctx)["tools"],
            Json::array({"code_interpreter", "web_search"}));
  EXPECT_EQ(status_of([&] { handle_ossa_route("POST", "/ossa/info", store, ctx); }), 405);
}

TEST(OssaRoutes, ListOpenDeleteSessionsInTheStore) {
  StoreDir d;
  ResponseStore store(d.dir);
  MappingContext ctx = context();
  fill(store);
  // A torn or foreign file in the folder hides nothing.
  std::ofstream(d.dir / "resp_torn.json") << "{\"response\": {\"id\": ";
  std::ofstream(d.dir / "notes.txt") << "hello";
  Json list = handle_ossa_route("GET", "/ossa/sessions", store, ctx);
  ASSERT_EQ(list["data"].size(), 3u);
  Json view = handle_ossa_route("GET", "/ossa/sessions/resp_a2", store, ctx);
  EXPECT_EQ(view["turns"].size(), 2u);
  Json del = handle_ossa_route("DELETE", "/ossa/sessions/resp_a2", store, ctx);
  EXPECT_EQ(del["responses"], Json::array({"resp_a2"}));
  EXPECT_FALSE(store.response("resp_a2"));
  EXPECT_TRUE(store.response("resp_a1"));  // the branch resp_b2 still goes through it
  EXPECT_EQ(handle_ossa_route("GET", "/ossa/sessions", store, ctx)["data"].size(), 2u);
  EXPECT_EQ(status_of([&] { handle_ossa_route("GET", "/ossa/sessions/resp_a2", store, ctx); }), 404);
  EXPECT_EQ(status_of([&] { handle_ossa_route("DELETE", "/ossa/sessions/resp_a2", store, ctx); }), 404);
  handle_ossa_route("DELETE", "/ossa/sessions/resp_b2", store, ctx);
  EXPECT_FALSE(store.response("resp_a1"));
  EXPECT_FALSE(store.response("resp_b2"));
}

TEST(OssaRoutes, UnknownRoutesBadIdsAndMethodsAreErrorsNotFiles) {
  StoreDir d;
  ResponseStore store(d.dir);
  MappingContext ctx = context();
  fill(store);
  std::ofstream(d.dir.parent_path() / "resp_outside.json") << "{}";
  for (const char* path : {"/ossa/sessions/../resp_outside", "/ossa/sessions/resp_a2/x",
                           "/ossa/sessions/", "/ossa/sessions/%2e%2e", "/ossa/nope", "/ossa/"})
    EXPECT_EQ(status_of([&] { handle_ossa_route("GET", path, store, ctx); }), 404) << path;
  EXPECT_EQ(status_of([&] { handle_ossa_route("POST", "/ossa/sessions/resp_a2", store, ctx); }), 405);
  EXPECT_EQ(status_of([&] { handle_ossa_route("DELETE", "/ossa/sessions", store, ctx); }), 405);
  fs::remove(d.dir.parent_path() / "resp_outside.json");
  EXPECT_TRUE(is_ossa_route("/ossa/info"));
  EXPECT_FALSE(is_ossa_route("/ossainfo"));
}

// A tool that fails shows as a failed card: the Responses item says so.
TEST(ResponsesEncoderToolStatus, AFailingServerToolMakesAFailedItem) {
  for (bool failing : {false, true}) {
    ResponsesEncoder enc("resp_x", "m", 0, Json::object());
    Message call = assistant("analysis", "");
    call.recipient = "python";
    OutputEvent started;
    started.kind = OutputEvent::Kind::Started;
    started.message = call;
    started.server_tool = true;
    enc.on_event(started);
    OutputEvent done = started;
    done.kind = OutputEvent::Kind::Done;
    enc.on_event(done);
    OutputEvent result;
    result.kind = OutputEvent::Kind::ToolResult;
    result.message = Message::tool_result("python", failing ? "Traceback" : "1\n", "analysis");
    result.server_tool = true;
    result.is_error = failing;
    auto events = enc.on_event(result);
    ASSERT_FALSE(events.empty());
    const Json& last = events.back();
    EXPECT_EQ(last["type"], "response.output_item.done");
    EXPECT_EQ(last["item"]["status"], failing ? "failed" : "completed");
  }
}

// A transcript as `ossa run` writes it (runtime events through the TranscriptSink) is listed
// and shown turn by turn, each call with its outcome (a denial is "denied"); the settings are the
// latest start or resume record's; files that are not transcripts are not listed.
TEST(TranscriptSessions, ListAndViewWhatOssaRunRecorded) {
  fs::path dir = fs::temp_directory_path() / ("ossa-transcripts-" + make_id(""));
  fs::create_directories(dir);
  {
    auto w = runtime::TranscriptWriter::create((dir / "20260101-000000-abcd.jsonl").string());
    runtime::TranscriptSink sink(w);
    auto put = [&](const runtime::SessionEvent& e) { sink.on_event(e, runtime::to_json(e)); };
    runtime::Config cfg;
    cfg.reasoning = "high";
    cfg.instructions = "Be brief.";
    put(runtime::SessionStarted{"20260101-000000-abcd", "m", runtime::to_json(cfg)});
    put(runtime::MessageAppended{harmony::to_json(Message::text(Role::System, "sys"))});
    put(runtime::MessageAppended{harmony::to_json(Message::text(Role::User, "List the files"))});
    Message call = Message::text(Role::Assistant, R"({"command":["ls"]})");
    call.recipient = "functions.shell";
    call.channel = "commentary";
    put(runtime::MessageAppended{harmony::to_json(call)});
    runtime::ToolFinished denied{"functions.shell", "The user did not approve", true, 3.0};
    denied.metadata["denied"] = true;
    put(denied);
    put(runtime::MessageAppended{harmony::to_json(Message::tool_result("functions.shell", "The user did not approve", "commentary"))});
    Message fin = Message::text(Role::Assistant, "I could not list them.");
    fin.channel = "final";
    put(runtime::MessageAppended{harmony::to_json(fin)});
    put(runtime::TurnEnded{"final", "", "I could not list them.", 1, 12, 5});
    cfg.approve = runtime::ApproveMode::none;
    put(runtime::SessionResumed{"20260101-000000-abcd", runtime::to_json(cfg)});
    put(runtime::MessageAppended{harmony::to_json(Message::text(Role::User, "Thanks"))});
  }
  std::ofstream(dir / "notes.jsonl") << "{\"type\":\"not a session\"}\n";
  std::ofstream(dir / "readme.txt") << "hello\n";

  Json list = list_transcript_sessions(dir);
  ASSERT_EQ(list["data"].size(), 1u) << list.dump();
  EXPECT_EQ(list["data"][0]["id"], "20260101-000000-abcd");
  EXPECT_EQ(list["data"][0]["title"], "List the files");
  EXPECT_EQ(list["data"][0]["turns"], 2);
  EXPECT_EQ(list["data"][0]["model"], "m");

  auto view = transcript_session_view(dir, "20260101-000000-abcd");
  ASSERT_TRUE(view);
  EXPECT_EQ((*view)["settings"], (Json{{"reasoning_effort", "high"}, {"instructions", "Be brief."}, {"approve", "none"}}));
  ASSERT_EQ((*view)["turns"].size(), 2u);
  const Json& first = (*view)["turns"][0];
  ASSERT_EQ(first["items"].size(), 3u) << first.dump();
  EXPECT_EQ(first["items"][1]["type"], "tool_call");
  EXPECT_EQ(first["items"][1]["status"], "denied");
  EXPECT_EQ(first["items"][1]["output"], "The user did not approve");
  EXPECT_EQ(first["items"][2]["text"], "I could not list them.");
  EXPECT_EQ(first["tokens"], 12);
  EXPECT_EQ((*view)["turns"][1]["items"][0]["text"], "Thanks");
  EXPECT_FALSE(transcript_session_view(dir, "missing"));
  EXPECT_FALSE(transcript_session_view(dir, "../" + dir.filename().string() + "/20260101-000000-abcd"));
  EXPECT_THROW(transcript_session_view(dir, "notes"), ApiError);
  for (const char* bad : {"", ".", "..", ".hidden", "a/b", "a%2Fb", "a b"}) EXPECT_FALSE(valid_session_id(bad)) << bad;
  EXPECT_TRUE(valid_session_id("20260101-000000-abcd"));
  fs::remove_all(dir);
}

}  // namespace
