// The HTTP server on loopback, in process, with a scripted model: routes, auth, limits,
// keep-alive, SSE, 429 with Retry-After, disconnect cancelling generation, stored responses
// surviving a restart, server-side python through the Responses API.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/config.hpp"
#include "runtime/environment.hpp"
#include "runtime/server/http_server.hpp"
#include "runtime/server/response_store.hpp"
#include "runtime/server/web_assets.hpp"
#include "tests/server/builtin_namespaces.hpp"
#include "tests/server/rule_token_source.hpp"

namespace {
using namespace ossa;
using namespace ossa::server;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using HttpResponse = http::response<http::string_body>;

std::filesystem::path temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("ossa-http-" + name + "-" + make_id(""));
  std::filesystem::create_directories(d);
  return d;
}

ServerOptions options(const std::filesystem::path& data) {
  ServerOptions o;
  o.port = 0;
  o.data_dir = data;
  o.tool_context.workspace = data;
  o.mapping.model_id = "test-model";
  o.mapping.date = "2026-01-02";
  o.mapping.builtins["python"] = test::builtin_namespaces().at("python");
  return o;
}

struct Harness {
  Harness(ServerOptions o, std::vector<test::Rule> rules, std::chrono::microseconds per_token = {},
          const tools::Registry* registry = nullptr)
      : factory(std::move(rules), per_token) {
    server = std::make_unique<HttpServer>(std::move(o), factory, registry);
    thread = std::thread([this] { server->run(false); });
  }
  ~Harness() {
    server->stop();
    thread.join();
  }
  unsigned short port() const { return server->port(); }
  test::RuleSourceFactory factory;
  std::unique_ptr<HttpServer> server;
  std::thread thread;
};

struct Client {
  explicit Client(unsigned short port) : sock(io) {
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  HttpResponse send(http::verb verb, const std::string& target, const std::string& body = "",
                    const std::string& key = "") {
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    if (!key.empty()) req.set(http::field::authorization, "Bearer " + key);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(sock, req);
    HttpResponse res;
    http::response_parser<http::string_body> p;
    p.body_limit(64u << 20);
    http::read(sock, buf, p);
    return p.release();
  }
  asio::io_context io;
  tcp::socket sock;
  beast::flat_buffer buf;
};

Json body_json(const HttpResponse& r) { return Json::parse(r.body()); }

std::string chat(bool stream, const std::string& text = "hello") {
  Json b = Json::object();
  b["model"] = "test-model";
  b["messages"] = Json::array({Json{{"role", "user"}, {"content", text}}});
  b["stream"] = stream;
  return b.dump();
}

const std::vector<test::Rule> kHello = {
    {"", "<|channel|>analysis<|message|>Greet.<|end|><|start|>assistant<|channel|>final<|message|>Hello there!<|return|>"}};

TEST(HttpServer, HealthModelsMetricsAndErrorsOnOneKeptAliveConnection) {
  auto dir = temp_dir("basic");
  Harness h(options(dir), kHello);
  Client c(h.port());
  auto health = c.send(http::verb::get, "/health");
  EXPECT_EQ(health.result_int(), 200);
  auto models = c.send(http::verb::get, "/v1/models");
  ASSERT_EQ(models.result_int(), 200);
  EXPECT_EQ(body_json(models)["data"][0]["id"], "test-model");
  auto bad = c.send(http::verb::post, "/v1/chat/completions", "{not json");
  EXPECT_EQ(bad.result_int(), 400);
  EXPECT_EQ(body_json(bad)["error"]["code"], "invalid_json");
  EXPECT_EQ(body_json(bad)["error"]["type"], "invalid_request_error");
  auto unknown_model = c.send(http::verb::post, "/v1/chat/completions",
                              R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(unknown_model.result_int(), 404);
  EXPECT_EQ(body_json(unknown_model)["error"]["code"], "model_not_found");
  EXPECT_EQ(c.send(http::verb::get, "/nope").result_int(), 404);
  EXPECT_EQ(c.send(http::verb::get, "/v1/chat/completions").result_int(), 405);
  EXPECT_EQ(c.send(http::verb::get, "/v1/responses/resp_unknown").result_int(), 404);
  auto ok = c.send(http::verb::post, "/v1/chat/completions", chat(false));
  ASSERT_EQ(ok.result_int(), 200) << ok.body();
  Json j = body_json(ok);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "Hello there!");
  EXPECT_EQ(j["choices"][0]["message"]["reasoning_content"], "Greet.");
  auto metrics = c.send(http::verb::get, "/metrics");
  EXPECT_NE(metrics.body().find("ossa_http_requests_total{route=\"/v1/chat/completions\",code=\"200\"} 1"),
            std::string::npos) << metrics.body();
  EXPECT_NE(metrics.body().find("ossa_http_requests_total{route=\"/v1/chat/completions\",code=\"400\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body().find("ossa_time_to_first_token_seconds_count 1"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, ApiKeyIsRequiredExceptForHealth) {
  auto dir = temp_dir("auth");
  ServerOptions o = options(dir);
  o.api_key = "sekret";
  Harness h(o, kHello);
  Client c(h.port());
  auto denied = c.send(http::verb::get, "/v1/models");
  EXPECT_EQ(denied.result_int(), 401);
  EXPECT_EQ(body_json(denied)["error"]["code"], "invalid_api_key");
  EXPECT_EQ(c.send(http::verb::get, "/v1/models", "", "wrong").result_int(), 401);
  EXPECT_EQ(c.send(http::verb::get, "/v1/models", "", "sekret").result_int(), 200);
  EXPECT_EQ(c.send(http::verb::get, "/health").result_int(), 200);
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, NonLoopbackBindNeedsAKeyOrExplicitInsecure) {
  ServerOptions o;
  o.host = "0.0.0.0";
  EXPECT_THROW(check_options(o), std::invalid_argument);
  o.api_key = "k";
  EXPECT_NO_THROW(check_options(o));
  o.api_key.clear();
  o.insecure_no_auth = true;
  EXPECT_NO_THROW(check_options(o));
  ServerOptions loop;
  loop.host = "::1";
  EXPECT_NO_THROW(check_options(loop));
}

TEST(HttpServer, OversizedBodyIs413) {
  auto dir = temp_dir("413");
  ServerOptions o = options(dir);
  o.max_body_bytes = 1024;
  Harness h(o, kHello);
  Client c(h.port());
  auto r = c.send(http::verb::post, "/v1/chat/completions", chat(false, std::string(4096, 'x')));
  EXPECT_EQ(r.result_int(), 413);
  EXPECT_EQ(body_json(r)["error"]["code"], "request_too_large");
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, StreamingChatIsServerSentEvents) {
  auto dir = temp_dir("sse");
  Harness h(options(dir), kHello);
  Client c(h.port());
  auto r = c.send(http::verb::post, "/v1/chat/completions", chat(true));
  ASSERT_EQ(r.result_int(), 200);
  EXPECT_EQ(r[http::field::content_type], "text/event-stream");
  std::string content, reasoning, finish;
  std::size_t pos = 0;
  std::vector<std::string> data;
  while ((pos = r.body().find("data: ", pos)) != std::string::npos) {
    std::size_t end = r.body().find("\n\n", pos);
    data.push_back(r.body().substr(pos + 6, end - pos - 6));
    pos = end;
  }
  ASSERT_GE(data.size(), 3u);
  EXPECT_EQ(data.back(), "[DONE]");
  for (std::size_t i = 0; i + 1 < data.size(); ++i) {
    Json j = Json::parse(data[i]);
    const Json& d = j["choices"][0]["delta"];
    if (d.contains("content")) content += d["content"].get<std::string>();
    if (d.contains("reasoning_content")) reasoning += d["reasoning_content"].get<std::string>();
    if (!j["choices"][0]["finish_reason"].is_null()) finish = j["choices"][0]["finish_reason"];
  }
  EXPECT_EQ(content, "Hello there!");
  EXPECT_EQ(reasoning, "Greet.");
  EXPECT_EQ(finish, "stop");
  // The connection is still usable.
  EXPECT_EQ(c.send(http::verb::get, "/health").result_int(), 200);
  std::filesystem::remove_all(dir);
}

std::string long_reply(int words) {
  std::string r = "<|channel|>final<|message|>";
  for (int i = 0; i < words; ++i) r += " word";
  return r + "<|return|>";
}

TEST(HttpServer, FullQueueAnswers429WithRetryAfter) {
  auto dir = temp_dir("429");
  ServerOptions o = options(dir);
  o.slots = 1;
  o.max_queue = 0;
  Harness h(o, {{"", long_reply(400)}}, std::chrono::microseconds(2000));
  std::thread busy([&] {
    Client c(h.port());
    c.send(http::verb::post, "/v1/chat/completions", chat(false));
  });
  // Wait until the first request holds the slot.
  for (int i = 0; i < 500 && h.factory.stats().tokens.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Client c(h.port());
  auto r = c.send(http::verb::post, "/v1/chat/completions", chat(false));
  EXPECT_EQ(r.result_int(), 429);
  EXPECT_EQ(r[http::field::retry_after], "1");
  EXPECT_EQ(body_json(r)["error"]["type"], "rate_limit_error");
  busy.join();
  EXPECT_EQ(c.send(http::verb::post, "/v1/chat/completions", chat(false)).result_int(), 200);
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, ClientDisconnectCancelsGenerationAndFreesTheSlot) {
  auto dir = temp_dir("cancel");
  ServerOptions o = options(dir);
  o.slots = 1;
  Harness h(o, {{"", long_reply(3000)}}, std::chrono::microseconds(1000));
  for (bool stream : {true, false}) {
    long before = h.factory.stats().tokens.load();
    {
      Client c(h.port());
      std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: " + std::to_string(chat(stream).size()) + "\r\n\r\n" + chat(stream);
      asio::write(c.sock, asio::buffer(req));
      for (int i = 0; i < 500 && h.factory.stats().tokens.load() - before < 50; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      c.sock.close();
    }
    // 3000 tokens at 1 ms each would take 3 s; a cancelled request stops within a chunk.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    long after_close = h.factory.stats().tokens.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(h.factory.stats().tokens.load(), after_close) << "still generating (stream=" << stream << ")";
    EXPECT_LT(after_close - before, 1500);
  }
  // The slot is free again.
  Client c(h.port());
  auto health = c.send(http::verb::get, "/metrics");
  EXPECT_NE(health.body().find("ossa_running_sequences 0"), std::string::npos) << health.body();
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, StoredResponsesSurviveARestartAndContinueConversations) {
  auto dir = temp_dir("store");
  std::string first_id;
  {
    Harness h(options(dir), {{"", "<|channel|>final<|message|>Noted: blue.<|return|>"}});
    Client c(h.port());
    auto r = c.send(http::verb::post, "/v1/responses",
                    R"({"model":"test-model","input":"My favourite colour is blue."})");
    ASSERT_EQ(r.result_int(), 200) << r.body();
    first_id = body_json(r)["id"];
    EXPECT_EQ(body_json(r)["output"][0]["content"][0]["text"], "Noted: blue.");
  }
  Harness h(options(dir), {{"colour", "<|channel|>final<|message|>Blue.<|return|>"}});
  Client c(h.port());
  auto got = c.send(http::verb::get, "/v1/responses/" + first_id);
  ASSERT_EQ(got.result_int(), 200);
  EXPECT_EQ(body_json(got)["id"], first_id);
  Json next = Json::object();
  next["model"] = "test-model";
  next["input"] = "Which colour did I say?";
  next["previous_response_id"] = first_id;
  auto r2 = c.send(http::verb::post, "/v1/responses", next.dump());
  ASSERT_EQ(r2.result_int(), 200) << r2.body();
  Json j2 = body_json(r2);
  EXPECT_EQ(j2["previous_response_id"], first_id);
  ResponseStore store(dir / "responses");
  auto conv = store.conversation(j2["id"]);
  ASSERT_TRUE(conv);
  ASSERT_EQ(conv->size(), 4u);
  EXPECT_EQ(conv->at(0).text_content(), "My favourite colour is blue.");
  EXPECT_EQ(conv->at(1).text_content(), "Noted: blue.");
  EXPECT_EQ(conv->at(3).text_content(), "Blue.");
  next["previous_response_id"] = "resp_doesnotexist";
  EXPECT_EQ(c.send(http::verb::post, "/v1/responses", next.dump()).result_int(), 404);
  std::filesystem::remove_all(dir);
}

// The page loads before the user has typed the key, so its files need none; they carry none,
// and come with headers that stop the browser from running anything else.
TEST(HttpServer, WebUiIsServedWithoutTheKeyAndWithAStrictPolicy) {
  auto dir = temp_dir("webui");
  ServerOptions o = options(dir);
  o.api_key = "sekret-key-value";
  Harness h(o, kHello);
  Client c(h.port());
  auto page = c.send(http::verb::get, "/");
  ASSERT_EQ(page.result_int(), 200);
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(page["Content-Security-Policy"], web_content_security_policy());
  EXPECT_EQ(page["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(page["X-Frame-Options"], "DENY");
  EXPECT_EQ(page.body(), find_web_asset("/")->body);
  EXPECT_EQ(page.body().find("sekret-key-value"), std::string::npos);
  auto js = c.send(http::verb::get, "/ui/app.js");
  ASSERT_EQ(js.result_int(), 200);
  EXPECT_EQ(js[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(js["Content-Security-Policy"], web_content_security_policy());
  EXPECT_EQ(c.send(http::verb::get, "/ui/style.css").result_int(), 200);
  EXPECT_EQ(c.send(http::verb::post, "/", "{}").result_int(), 405);
  // What is not a page file needs the key like any route.
  EXPECT_EQ(c.send(http::verb::get, "/ui/nope.js").result_int(), 401);
  EXPECT_EQ(c.send(http::verb::get, "/ui/nope.js", "", "sekret-key-value").result_int(), 404);
  EXPECT_EQ(c.send(http::verb::get, "/ossa/info").result_int(), 401);
  EXPECT_EQ(c.send(http::verb::get, "/ossa/sessions").result_int(), 401);
  EXPECT_EQ(c.send(http::verb::delete_, "/ossa/sessions/resp_x").result_int(), 401);
  auto info = c.send(http::verb::get, "/ossa/info", "", "sekret-key-value");
  ASSERT_EQ(info.result_int(), 200);
  EXPECT_EQ(body_json(info)["model"], "test-model");
  auto metrics = c.send(http::verb::get, "/metrics", "", "sekret-key-value");
  EXPECT_NE(metrics.body().find("ossa_http_requests_total{route=\"/ui\",code=\"200\"} 3"), std::string::npos)
      << metrics.body();
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, SessionsListOpenAndDeleteStoredResponsesAcrossARestart) {
  auto dir = temp_dir("sessions");
  const std::vector<test::Rule> rules = {
      {"colour", "<|channel|>final<|message|>Blue.<|return|>"},
      {"", "<|channel|>final<|message|>Noted: blue.<|return|>"}};
  std::string second_id;
  {
    Harness h(options(dir), rules);
    Client c(h.port());
    auto r1 = c.send(http::verb::post, "/v1/responses",
                     R"({"model":"test-model","input":"My favourite is blue.","instructions":"Be brief."})");
    ASSERT_EQ(r1.result_int(), 200) << r1.body();
    Json next = Json{{"model", "test-model"}, {"input", "Which colour?"},
                     {"previous_response_id", body_json(r1)["id"]}, {"instructions", "Be brief."}};
    auto r2 = c.send(http::verb::post, "/v1/responses", next.dump());
    ASSERT_EQ(r2.result_int(), 200) << r2.body();
    second_id = body_json(r2)["id"];
  }
  Harness h(options(dir), rules);
  Client c(h.port());
  auto list = c.send(http::verb::get, "/ossa/sessions");
  ASSERT_EQ(list.result_int(), 200);
  Json sessions = body_json(list)["data"];
  ASSERT_EQ(sessions.size(), 1u) << sessions;
  EXPECT_EQ(sessions[0]["id"], second_id);
  EXPECT_EQ(sessions[0]["title"], "My favourite is blue.");
  EXPECT_EQ(sessions[0]["turns"], 2);
  auto view = c.send(http::verb::get, "/ossa/sessions/" + second_id);
  ASSERT_EQ(view.result_int(), 200);
  Json v = body_json(view);
  EXPECT_EQ(v["settings"]["instructions"], "Be brief.");
  ASSERT_EQ(v["turns"].size(), 2u);
  EXPECT_EQ(v["turns"][1]["items"], Json::parse(R"([{"type":"user","text":"Which colour?"},
                                                    {"type":"message","text":"Blue."}])"));
  EXPECT_GT(v["turns"][1]["usage"]["output_tokens"].get<int>(), 0);
  auto gone = c.send(http::verb::delete_, "/ossa/sessions/" + second_id);
  ASSERT_EQ(gone.result_int(), 200) << gone.body();
  EXPECT_EQ(body_json(gone)["responses"].size(), 2u);
  EXPECT_EQ(body_json(c.send(http::verb::get, "/ossa/sessions"))["data"].size(), 0u);
  EXPECT_EQ(c.send(http::verb::get, "/v1/responses/" + second_id).result_int(), 404);
  EXPECT_EQ(c.send(http::verb::get, "/ossa/sessions/" + second_id).result_int(), 404);
  auto wrong = c.send(http::verb::post, "/ossa/sessions/" + second_id, "{}");
  EXPECT_EQ(wrong.result_int(), 405);
  EXPECT_EQ(wrong[http::field::allow], "GET, DELETE");
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, ResponsesRunsPythonInTheSandbox) {
  auto dir = temp_dir("python");
  runtime::Config cfg;
  cfg.tools = {"python"};
  cfg.workspace = dir.string();
  runtime::Environment env(cfg);
  const tools::Registry& registry = env.registry();
  if (!registry.find("python")) GTEST_SKIP() << "no python tool on this machine";
  ServerOptions o = options(dir);
  o.tool_context = env.tool_context({}, nullptr);
  Harness h(o,
            {{"42", "<|channel|>final<|message|>The answer is 42.<|return|>"},
             {"compute", "<|channel|>analysis<|message|>Use python.<|end|><|start|>assistant"
                         "<|channel|>analysis to=python code<|message|>print(6*7)<|call|>"}},
            {}, &registry);
  Client c(h.port());
  auto r = c.send(http::verb::post, "/v1/responses",
                  R"({"model":"test-model","input":"compute 6 times 7","tools":[{"type":"code_interpreter","container":{"type":"auto"}}]})");
  ASSERT_EQ(r.result_int(), 200) << r.body();
  Json j = body_json(r);
  Json call;
  for (const auto& it : j["output"])
    if (it["type"] == "code_interpreter_call") call = it;
  ASSERT_FALSE(call.is_null()) << j.dump(2);
  EXPECT_EQ(call["code"], "print(6*7)");
  EXPECT_EQ(call["status"], "completed");
  EXPECT_NE(call["outputs"][0]["logs"].get<std::string>().find("42"), std::string::npos) << call.dump();
  EXPECT_EQ(j["output"].back()["content"][0]["text"], "The answer is 42.");
  auto metrics = c.send(http::verb::get, "/metrics");
  EXPECT_NE(metrics.body().find("ossa_tool_calls_total{tool=\"python\",outcome=\"ok\"} 1"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// The web UI's agent sessions over HTTP: a new session's transcript in the folder, a shell call
// parked until /approval decides it (denied here: the model is told), the events stream of the
// turn, refusals (no key, bad fields, a second turn, deleting a running session, ids that
// climb out of the folder, a file that is not a transcript), delete.
TEST(HttpServer, AgentSessionsParkApprovalsAndRefuseBadRequests) {
  auto dir = temp_dir("agents");
  runtime::Config cfg;
  cfg.tools = {"shell"};
  cfg.workspace = dir.string();
  runtime::Environment env(cfg);
  const tools::Registry& registry = env.registry();
  ASSERT_TRUE(registry.find("functions.shell"));
  ServerOptions o = options(dir);
  o.api_key = "k";
  o.tool_context = env.tool_context({}, nullptr);
  o.agent_config = cfg;
  o.transcript_dir = dir / "transcripts";
  std::filesystem::create_directories(o.transcript_dir);
  std::ofstream(o.transcript_dir / "garbage.jsonl") << "not a transcript\n";
  Harness h(o,
            {{"functions.shell to=assistant", "<|channel|>final<|message|>Told: not run.<|return|>",
              "did not approve"},
             {"functions.shell to=assistant", "<|channel|>final<|message|>It ran.<|return|>"},
             {"run echo", "<|channel|>commentary to=functions.shell <|constrain|>json<|message|>"
                          "{\"command\":[\"echo\",\"hi\"]}<|call|>"},
             {"", "<|channel|>final<|message|>Hello.<|return|>"}},
            {}, &registry);
  Client c(h.port());
  EXPECT_EQ(c.send(http::verb::get, "/ossa/agents").result_int(), 401);
  EXPECT_EQ(c.send(http::verb::post, "/ossa/agents", R"({"approve":"sometimes"})", "k").result_int(), 400);
  EXPECT_EQ(c.send(http::verb::post, "/ossa/agents", R"({"reasoning_effort":"max"})", "k").result_int(), 400);
  auto created = c.send(http::verb::post, "/ossa/agents", R"({"approve":"ask","instructions":"Be brief."})", "k");
  ASSERT_EQ(created.result_int(), 200) << created.body();
  const std::string id = body_json(created)["id"];
  EXPECT_EQ(body_json(created)["settings"]["instructions"], "Be brief.");
  ASSERT_TRUE(std::filesystem::exists(o.transcript_dir / (id + ".jsonl")));
  EXPECT_EQ(body_json(c.send(http::verb::get, "/ossa/agents", "", "k"))["data"].size(), 1u);  // not garbage
  EXPECT_EQ(c.send(http::verb::get, "/ossa/agents/garbage", "", "k").result_int(), 422);
  EXPECT_EQ(c.send(http::verb::get, "/ossa/agents/..", "", "k").result_int(), 404);
  EXPECT_EQ(c.send(http::verb::post, "/ossa/agents/..%2Fresponses/turns", R"({"input":"x"})", "k").result_int(), 404);
  EXPECT_EQ(c.send(http::verb::post, "/ossa/agents/" + id + "/approval", R"({"approved":true})", "k").result_int(), 409);
  EXPECT_EQ(c.send(http::verb::post, "/ossa/agents/" + id + "/turns", R"({"input":""})", "k").result_int(), 400);
  EXPECT_EQ(c.send(http::verb::get, "/ossa/agents/" + id + "/events", "", "k").result_int(), 200);  // the opening
  auto turn = c.send(http::verb::post, "/ossa/agents/" + id + "/turns", R"({"input":"please run echo"})", "k");
  ASSERT_EQ(turn.result_int(), 200) << turn.body();
  EXPECT_EQ(c.send(http::verb::post, "/ossa/agents/" + id + "/turns", R"({"input":"again"})", "k").result_int(), 409);
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; ++i) {
    waiting = body_json(c.send(http::verb::get, "/ossa/agents", "", "k"))["data"][0]["awaiting_approval"] == true;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(waiting);
  EXPECT_EQ(c.send(http::verb::delete_, "/ossa/agents/" + id, "", "k").result_int(), 409);
  EXPECT_EQ(c.send(http::verb::post, "/ossa/agents/" + id + "/approval", R"({"approved":"yes"})", "k").result_int(), 400);
  // A second client follows the turn while it waits; the decision comes from the first.
  Client watcher(h.port());
  std::thread follow([&] {
    auto events = watcher.send(http::verb::get, "/ossa/agents/" + id + "/events", "", "k");
    EXPECT_EQ(events[http::field::content_type], "text/event-stream");
    const std::string& b = events.body();
    EXPECT_NE(b.find("event: approval_request"), std::string::npos) << b;
    EXPECT_NE(b.find(R"("type":"approval","time")"), std::string::npos) << b;
    EXPECT_NE(b.find(R"("approved":false)"), std::string::npos) << b;
    EXPECT_NE(b.find(R"("reason":"final")"), std::string::npos) << b;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(c.send(http::verb::post, "/ossa/agents/" + id + "/approval", R"({"approved":false})", "k").result_int(), 200);
  follow.join();
  Json view = body_json(c.send(http::verb::get, "/ossa/agents/" + id, "", "k"));
  ASSERT_EQ(view["turns"].size(), 1u) << view.dump();
  Json items = view["turns"][0]["items"];
  ASSERT_EQ(items.size(), 3u) << items.dump();
  EXPECT_EQ(items[1]["status"], "denied");
  EXPECT_EQ(items[2]["text"], "Told: not run.");
  EXPECT_EQ(view["settings"]["approve"], "ask");
  EXPECT_EQ(c.send(http::verb::delete_, "/ossa/agents/" + id, "", "k").result_int(), 200);
  EXPECT_EQ(c.send(http::verb::get, "/ossa/agents/" + id, "", "k").result_int(), 404);
  EXPECT_FALSE(std::filesystem::exists(o.transcript_dir / (id + ".jsonl")));
  EXPECT_EQ(c.send(http::verb::post, "/ossa/agents/nope/turns", R"({"input":"x"})", "k").result_int(), 404);
  auto wrong = c.send(http::verb::put, "/ossa/agents", "{}", "k");
  EXPECT_EQ(wrong.result_int(), 405);
  EXPECT_EQ(wrong[http::field::allow], "GET, POST");
  std::filesystem::remove_all(dir);
}

// `ossa serve` builds the same Environment as `ossa run`: the configuration's MCP servers are
// among the server-side tools, and tools run with its workspace, limits and git protection.
TEST(HttpServer, ServeSetupIsTheRunEnvironment) {
  auto dir = temp_dir("setup");
  const std::string script = OSSA_MCP_FAKE_SERVER;
  std::ofstream(dir / "cfg.toml") << "workspace = \"" << dir.string() << "\"\n"
                                  << "[sandbox]\nmemory_mib = 512\nprotect_git = false\n"
                                  << "[mcp_servers.fake]\ncommand = \"/usr/bin/python3\"\n"
                                  << "args = [\"-u\", \"" << script << "\"]\n"
                                  << "[mcp_servers.fake.sandbox]\nread_only = [\""
                                  << std::filesystem::path(script).parent_path().string() << "\"]\n";
  ServeFlags flags;
  flags.config.config_file = (dir / "cfg.toml").string();
  flags.port = 0;
  ServeSetup s = prepare_serve(flags, "m");
  ASSERT_TRUE(s.environment);
  EXPECT_TRUE(s.environment->registry().find("functions.fake_echo"));
  EXPECT_EQ(s.options.tool_context.workspace, s.environment->workspace());
  EXPECT_EQ(s.options.tool_context.limits.memory_mib, 512u);
  EXPECT_FALSE(s.options.tool_context.protect_git);
  EXPECT_TRUE(s.options.tool_context.secrets);
  std::filesystem::remove_all(dir);
}

}  // namespace
