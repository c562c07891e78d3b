// The request -> harmony -> response mapping without sockets: Chat Completions and Responses
// parsed into conversations, model output (scripted harmony text through the real worker,
// tolerant parser and runner) mapped back, streams assembled into the full message.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>

#include "runtime/harmony/renderer.hpp"
#include "runtime/harmony/stream_parser.hpp"
#include "runtime/server/chat_completions.hpp"
#include "runtime/server/metrics.hpp"
#include "runtime/server/response_store.hpp"
#include "runtime/server/responses_api.hpp"
#include "runtime/server/stop_matcher.hpp"
#include "runtime/server/turn_runner.hpp"
#include "tests/server/builtin_namespaces.hpp"
#include "tests/server/rule_token_source.hpp"

namespace {
using namespace ossa;
using namespace ossa::server;
using harmony::Message;
using harmony::Role;

MappingContext ctx() {
  MappingContext c;
  c.model_id = "test-model";
  c.date = "2026-01-02";
  c.builtins = test::builtin_namespaces();
  return c;
}

Json chat_body(Json messages) {
  Json b = Json::object();
  b["model"] = "test-model";
  b["messages"] = std::move(messages);
  return b;
}

int error_status(const std::function<void()>& f, std::string* param = nullptr) {
  try {
    f();
  } catch (const ApiError& e) {
    if (param) *param = e.param().value_or("");
    return e.status();
  }
  return 0;
}

struct Collect final : TurnSink {
  std::vector<OutputEvent> events;
  void on_event(const OutputEvent& e) override { events.push_back(e); }
  boost::asio::awaitable<bool> flush() override { co_return true; }
};

// Runs `req` through the real runner with a model that replies with `rules`.
TurnOutput generate(const GenerationRequest& req, std::vector<test::Rule> rules,
                    std::vector<OutputEvent>& events, const tools::Registry* registry = nullptr) {
  test::RuleSourceFactory factory(std::move(rules));
  runtime::EngineWorker worker;
  SlotPool pool(factory, 1, 4);
  RunnerDeps deps;
  deps.tokenizer = &harmony::Tokenizer::builtin();
  deps.worker = &worker;
  deps.pool = &pool;
  deps.registry = registry;
  deps.tool_context.workspace = std::filesystem::temp_directory_path();
  Collect sink;
  boost::asio::io_context io;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto fut = boost::asio::co_spawn(io, run_turn(deps, req, sink, cancel, std::chrono::steady_clock::now()),
                                   boost::asio::use_future);
  io.run();
  TurnOutput out = fut.get();
  events = sink.events;
  return out;
}

// What a client does with chat chunks: concatenate each field of the deltas.
Json assemble_chat(const Json& first, const std::vector<Json>& chunks, const std::vector<Json>& tail) {
  Json msg = Json::object();
  msg["role"] = first["choices"][0]["delta"]["role"];
  std::string content, reasoning;
  Json calls = Json::array();
  std::string finish;
  std::vector<Json> all = chunks;
  all.insert(all.end(), tail.begin(), tail.end());
  for (const Json& c : all) {
    if (c["choices"].empty()) continue;
    const Json& d = c["choices"][0]["delta"];
    if (d.contains("content")) content += d["content"].get<std::string>();
    if (d.contains("reasoning_content")) reasoning += d["reasoning_content"].get<std::string>();
    if (d.contains("tool_calls"))
      for (const Json& tc : d["tool_calls"]) {
        std::size_t i = tc["index"];
        if (i >= calls.size())
          calls.push_back(Json{{"id", tc["id"]}, {"type", "function"},
                               {"function", {{"name", tc["function"]["name"]}, {"arguments", ""}}}});
        calls[i]["function"]["arguments"] =
            calls[i]["function"]["arguments"].get<std::string>() +
            tc["function"]["arguments"].get<std::string>();
      }
    if (!c["choices"][0]["finish_reason"].is_null()) finish = c["choices"][0]["finish_reason"];
  }
  msg["content"] = content.empty() && !calls.empty() ? Json(nullptr) : Json(content);
  if (!reasoning.empty()) msg["reasoning_content"] = reasoning;
  if (!calls.empty()) msg["tool_calls"] = calls;
  return Json{{"message", msg}, {"finish_reason", finish}};
}

struct ChatRun {
  TurnOutput out;
  Json completion;
  Json assembled;
};

ChatRun chat_run(const Json& body, std::vector<test::Rule> rules) {
  GenerationRequest req = parse_chat_request(body, ctx());
  std::vector<OutputEvent> events;
  ChatRun r;
  r.out = generate(req, std::move(rules), events);
  ChatEncoder enc("chatcmpl-1", "test-model", 1);
  std::vector<Json> chunks;
  for (const auto& e : events)
    for (auto& c : enc.on_event(e)) chunks.push_back(std::move(c));
  r.completion = enc.completion(r.out);
  r.assembled = assemble_chat(enc.start(), chunks, enc.finish(r.out, true));
  return r;
}

const char* kWeatherTools = R"([{"type": "function", "function": {"name": "get_weather",
  "description": "Current weather", "parameters": {"type": "object",
  "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])";

// ---- requests -> harmony ----

TEST(ChatRequest, SystemAndDeveloperBecomeInstructionsUserBecomesUserMessage) {
  Json body = chat_body(Json::parse(R"([{"role":"system","content":"Be brief."},
    {"role":"developer","content":[{"type":"text","text":"Use metric units."}]},
    {"role":"user","content":"Hi"}])"));
  body["reasoning_effort"] = "high";
  GenerationRequest g = parse_chat_request(body, ctx());
  ASSERT_EQ(g.conversation.messages.size(), 3u);
  const auto& sys = std::get<harmony::SystemContent>(g.conversation.messages[0].content[0]);
  EXPECT_EQ(sys.reasoning_effort, harmony::ReasoningEffort::High);
  EXPECT_EQ(sys.conversation_start_date, "2026-01-02");
  EXPECT_TRUE(sys.tools.empty());
  const auto& dev = std::get<harmony::DeveloperContent>(g.conversation.messages[1].content[0]);
  EXPECT_EQ(dev.instructions, "Be brief.\n\nUse metric units.");
  EXPECT_EQ(g.conversation.messages[2].role, Role::User);
  EXPECT_EQ(g.conversation.messages[2].text_content(), "Hi");
  EXPECT_FALSE(g.stream);
}

TEST(ChatRequest, ToolsRenderAsTheFunctionsNamespace) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"Weather in Oslo?"}])"));
  body["tools"] = Json::parse(kWeatherTools);
  GenerationRequest g = parse_chat_request(body, ctx());
  harmony::Renderer r(harmony::Tokenizer::builtin());
  auto prompt = r.render_for_completion(g.conversation, Role::Assistant);
  ASSERT_TRUE(prompt) << prompt.error();
  std::string text = harmony::Tokenizer::builtin().decode_lossy(*prompt);
  EXPECT_NE(text.find("namespace functions {"), std::string::npos) << text;
  EXPECT_NE(text.find("type get_weather = (_: {\ncity: string,\n}) => any;"), std::string::npos) << text;
  EXPECT_NE(text.find("Calls to these tools must go to the commentary channel"), std::string::npos);
}

TEST(ChatRequest, AssistantToolCallsAndToolResultsBecomeHarmonyMessages) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"Weather in Oslo?"},
    {"role":"assistant","reasoning_content":"Need weather.","content":"Checking.",
     "tool_calls":[{"id":"call_1","type":"function",
       "function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"{\"temp\":3}"}])"));
  body["tools"] = Json::parse(kWeatherTools);
  GenerationRequest g = parse_chat_request(body, ctx());
  const auto& m = g.conversation.messages;
  ASSERT_EQ(m.size(), 7u);  // system, developer, user, analysis, preamble, call, result
  EXPECT_EQ(m[3].channel, "analysis");
  EXPECT_EQ(m[3].text_content(), "Need weather.");
  EXPECT_EQ(m[4].channel, "commentary");
  EXPECT_FALSE(m[4].recipient);
  EXPECT_EQ(m[5].recipient, "functions.get_weather");
  EXPECT_EQ(m[5].content_type, "<|constrain|>json");
  EXPECT_EQ(m[5].text_content(), "{\"city\":\"Oslo\"}");
  EXPECT_EQ(m[6].role, Role::Tool);
  EXPECT_EQ(m[6].name, "functions.get_weather");
  EXPECT_EQ(m[6].text_content(), "{\"temp\":3}");
}

TEST(ChatRequest, ToolChoiceNoneDropsToolsNamedPrefillsTheCall) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"x"}])"));
  body["tools"] = Json::parse(kWeatherTools);
  body["tool_choice"] = "none";
  GenerationRequest none = parse_chat_request(body, ctx());
  EXPECT_FALSE(harmony::has_function_tools(none.conversation));
  body["tool_choice"] = Json::parse(R"({"type":"function","function":{"name":"get_weather"}})");
  GenerationRequest named = parse_chat_request(body, ctx());
  EXPECT_EQ(named.prefill, "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>");
  body["tool_choice"] = Json::parse(R"({"type":"function","function":{"name":"nope"}})");
  std::string param;
  EXPECT_EQ(error_status([&] { parse_chat_request(body, ctx()); }, &param), 400);
  EXPECT_EQ(param, "tool_choice");
}

TEST(ChatRequest, SamplingLimitsStopAndStreamOptions) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"x"}])"));
  body["temperature"] = 0.5;
  body["top_p"] = 0.9;
  body["seed"] = 42;
  body["max_completion_tokens"] = 1000000;
  body["stop"] = Json::array({"END", "STOP"});
  body["stream"] = true;
  body["stream_options"] = Json{{"include_usage", true}};
  GenerationRequest g = parse_chat_request(body, ctx());
  EXPECT_DOUBLE_EQ(g.sampling.temperature, 0.5);
  EXPECT_DOUBLE_EQ(g.sampling.top_p, 0.9);
  EXPECT_EQ(g.sampling.seed, 42u);
  EXPECT_EQ(g.max_tokens, ctx().max_tokens_limit);  // capped
  EXPECT_EQ(g.stop, (std::vector<std::string>{"END", "STOP"}));
  EXPECT_TRUE(g.stream);
  EXPECT_TRUE(g.include_usage);
}

TEST(ChatRequest, ResponseFormatJsonSchemaGoesToTheDeveloperMessage) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"x"}])"));
  body["response_format"] = Json::parse(
      R"({"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"}}})");
  GenerationRequest g = parse_chat_request(body, ctx());
  const auto& dev = std::get<harmony::DeveloperContent>(g.conversation.messages[1].content[0]);
  EXPECT_EQ(dev.instructions, "# Response Formats\n\n## answer\n\n{\"type\":\"object\"}");
}

TEST(ChatRequest, ErrorsNameTheFieldAndStatus) {
  std::string param;
  EXPECT_EQ(error_status([&] { parse_body("{not json"); }), 400);
  EXPECT_EQ(error_status([&] { parse_body("[1,2]"); }), 400);
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"x"}])"));
  body["model"] = "gpt-4o";
  EXPECT_EQ(error_status([&] { parse_chat_request(body, ctx()); }, &param), 404);
  EXPECT_EQ(param, "model");
  body = chat_body(Json::array());
  EXPECT_EQ(error_status([&] { parse_chat_request(body, ctx()); }, &param), 400);
  EXPECT_EQ(param, "messages");
  body = chat_body(Json::parse(R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}])"));
  EXPECT_EQ(error_status([&] { parse_chat_request(body, ctx()); }, &param), 400);
  EXPECT_EQ(param, "messages[0].content[0]");
  body = chat_body(Json::parse(R"([{"role":"tool","tool_call_id":"nope","content":"x"}])"));
  EXPECT_EQ(error_status([&] { parse_chat_request(body, ctx()); }, &param), 400);
  EXPECT_EQ(param, "messages[0].tool_call_id");
  body = chat_body(Json::parse(R"([{"role":"user","content":"x"}])"));
  body["n"] = 2;
  EXPECT_EQ(error_status([&] { parse_chat_request(body, ctx()); }, &param), 400);
  body["n"] = 1;
  body["temperature"] = "hot";
  EXPECT_EQ(error_status([&] { parse_chat_request(body, ctx()); }, &param), 400);
  EXPECT_EQ(param, "temperature");
  ApiError e(400, "m", "invalid_request_error", "p");
  EXPECT_EQ(error_body(e).dump(),
            R"({"error":{"message":"m","type":"invalid_request_error","param":"p","code":null}})");
}

// ---- harmony -> responses, streamed and whole ----

TEST(ChatResponse, ReasoningAndFinalAnswerStreamedEqualsWhole) {
  auto r = chat_run(chat_body(Json::parse(R"([{"role":"user","content":"2+2?"}])")),
                    {{"", "<|channel|>analysis<|message|>Simple sum.<|end|><|start|>assistant"
                          "<|channel|>final<|message|>It is 4.<|return|>"}});
  const Json& msg = r.completion["choices"][0]["message"];
  EXPECT_EQ(msg["content"], "It is 4.");
  EXPECT_EQ(msg["reasoning_content"], "Simple sum.");
  EXPECT_FALSE(msg.contains("tool_calls"));
  EXPECT_EQ(r.completion["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(r.assembled["message"], msg);
  EXPECT_EQ(r.assembled["finish_reason"], "stop");
  EXPECT_GT(r.out.reasoning_tokens, 0);
  EXPECT_EQ(r.completion["usage"]["completion_tokens"], r.out.completion_tokens);
  EXPECT_GT(r.completion["usage"]["prompt_tokens"].get<int>(), 0);
  EXPECT_TRUE(r.completion["usage"]["prompt_tokens_details"].contains("cached_tokens"));
}

TEST(ChatResponse, ToolCallRoundTripsIntoTheSameHarmony) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"Weather in Oslo?"}])"));
  body["tools"] = Json::parse(kWeatherTools);
  const std::string reply =
      "<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant"
      "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
      "{\"city\":\"Oslo\"}<|call|>";
  auto r = chat_run(body, {{"", reply}});
  const Json& msg = r.completion["choices"][0]["message"];
  EXPECT_EQ(r.completion["choices"][0]["finish_reason"], "tool_calls");
  ASSERT_EQ(msg["tool_calls"].size(), 1u);
  EXPECT_EQ(msg["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(msg["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Oslo\"}");
  EXPECT_TRUE(msg["content"].is_null());
  EXPECT_EQ(r.assembled["message"], msg);
  EXPECT_EQ(r.assembled["finish_reason"], "tool_calls");

  // The client sends the message back with the tool's result: the conversation is the one the
  // model wrote, token for token.
  Json next = body;
  next["messages"].push_back(msg);
  next["messages"].push_back(Json{{"role", "tool"},
                                  {"tool_call_id", msg["tool_calls"][0]["id"]},
                                  {"content", "{\"temp\":3}"}});
  GenerationRequest g = parse_chat_request(next, ctx());
  // The model's messages, as the tolerant parser reads them, are the messages the mapping
  // rebuilt from the client's copy (the renderer may spell the header differently: it puts the
  // recipient in the role part, as the reference library does).
  auto parsed = harmony::parse_tokens(
      harmony::Tokenizer::builtin(), harmony::Tokenizer::builtin().encode_with_specials(reply),
      {.initial_role = Role::Assistant, .mode = harmony::ParserMode::Tolerant});
  ASSERT_EQ(parsed.messages.size(), 2u);
  const auto& m = g.conversation.messages;
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(harmony::to_json(m[3]), harmony::to_json(parsed.messages[0]));
  EXPECT_EQ(harmony::to_json(m[4]), harmony::to_json(parsed.messages[1]));
  harmony::Renderer rd(harmony::Tokenizer::builtin());
  EXPECT_TRUE(rd.render_for_completion(g.conversation, Role::Assistant));
  EXPECT_EQ(g.conversation.messages.back().name, "functions.get_weather");
}

TEST(ChatResponse, PreambleBeforeACallIsContent) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"Weather?"}])"));
  body["tools"] = Json::parse(kWeatherTools);
  auto r = chat_run(body, {{"", "<|channel|>commentary<|message|>Let me check.<|end|>"
                                "<|start|>assistant to=functions.get_weather<|channel|>commentary json"
                                "<|message|>{\"city\":\"Paris\"}<|call|>"}});
  const Json& msg = r.completion["choices"][0]["message"];
  EXPECT_EQ(msg["content"], "Let me check.");
  ASSERT_EQ(msg["tool_calls"].size(), 1u);
  EXPECT_EQ(msg["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}");
  EXPECT_EQ(r.assembled["message"], msg);
}

TEST(ChatResponse, StopSequenceCutsTheAnswerEvenAcrossDeltas) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"count"}])"));
  body["stop"] = "four";
  auto r = chat_run(body, {{"", "<|channel|>final<|message|>one two three four five six<|return|>"}});
  EXPECT_EQ(r.completion["choices"][0]["message"]["content"], "one two three ");
  EXPECT_EQ(r.assembled["message"]["content"], "one two three ");
  EXPECT_EQ(r.completion["choices"][0]["finish_reason"], "stop");
}

TEST(ChatResponse, MaxTokensEndsWithLength) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"talk"}])"));
  body["max_tokens"] = 5;
  auto r = chat_run(body, {{"", "<|channel|>final<|message|>a b c d e f g h i j k l<|return|>"}});
  EXPECT_EQ(r.completion["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r.out.completion_tokens, 5);
  EXPECT_EQ(r.assembled["finish_reason"], "length");
}

TEST(ChatResponse, MalformedHarmonyIsRecoveredWithAWarningNotAnError) {
  // A header that never gets its <|message|> and a stream ending mid-message.
  auto r = chat_run(chat_body(Json::parse(R"([{"role":"user","content":"x"}])")),
                    {{"", "<|channel|>final<|message|>partial answer"}});
  EXPECT_EQ(r.completion["choices"][0]["message"]["content"], "partial answer");
  EXPECT_EQ(r.completion["choices"][0]["finish_reason"], "stop");
  ASSERT_TRUE(r.completion.contains("warnings"));
  auto garbage = chat_run(chat_body(Json::parse(R"([{"role":"user","content":"x"}])")),
                          {{"", "stray text<|start|>nobody<|message|>x<|end|><|start|>assistant"
                                "<|channel|>final<|message|>ok<|return|>"}});
  EXPECT_EQ(garbage.completion["object"], "chat.completion");
  EXPECT_TRUE(garbage.completion.contains("warnings"));
  EXPECT_EQ(garbage.assembled["message"], garbage.completion["choices"][0]["message"]);
}

TEST(ChatResponse, NamedToolChoiceForcesTheCall) {
  Json body = chat_body(Json::parse(R"([{"role":"user","content":"x"}])"));
  body["tools"] = Json::parse(kWeatherTools);
  body["tool_choice"] = Json::parse(R"({"type":"function","function":{"name":"get_weather"}})");
  // The model continues after the prefilled header with the arguments only.
  auto r = chat_run(body, {{"", "{\"city\":\"Rome\"}<|call|>"}});
  const Json& msg = r.completion["choices"][0]["message"];
  ASSERT_EQ(msg["tool_calls"].size(), 1u);
  EXPECT_EQ(msg["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(msg["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Rome\"}");
  EXPECT_EQ(r.assembled["message"], msg);
}

// ---- Responses API ----

Json responses_body(Json input) {
  Json b = Json::object();
  b["model"] = "test-model";
  b["input"] = std::move(input);
  return b;
}

struct RespRun {
  TurnOutput out;
  Json response;
  std::vector<Json> events;
};

RespRun responses_run(const Json& body, std::vector<test::Rule> rules, const HistoryLookup& lookup = {},
                      const tools::Registry* registry = nullptr) {
  ResponsesRequest rr = parse_responses_request(body, ctx(), lookup);
  std::vector<OutputEvent> events;
  RespRun r;
  r.out = generate(rr.gen, std::move(rules), events, registry);
  ResponsesEncoder enc("resp_1", "test-model", 1, rr.echo);
  r.events = enc.start();
  for (const auto& e : events)
    for (auto& j : enc.on_event(e)) r.events.push_back(std::move(j));
  for (auto& j : enc.finish(r.out)) r.events.push_back(std::move(j));
  r.response = enc.response(&r.out);
  return r;
}

TEST(ResponsesRequest, InputItemsInstructionsAndHistory) {
  Json body = responses_body(Json::parse(R"([
    {"role":"user","content":"Weather in Oslo?"},
    {"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{\"city\":\"Oslo\"}"},
    {"type":"function_call_output","call_id":"c1","output":"{\"temp\":3}"}])"));
  body["instructions"] = "Be brief.";
  body["tools"] = Json::parse(R"([{"type":"function","name":"get_weather","parameters":{"type":"object"}}])");
  HistoryLookup lookup = [](const std::string& id) -> std::optional<std::vector<Message>> {
    if (id != "resp_prev") return std::nullopt;
    return std::vector<Message>{Message::text(Role::User, "earlier")};
  };
  body["previous_response_id"] = "resp_prev";
  ResponsesRequest rr = parse_responses_request(body, ctx(), lookup);
  const auto& m = rr.gen.conversation.messages;
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(std::get<harmony::DeveloperContent>(m[1].content[0]).instructions, "Be brief.");
  EXPECT_EQ(m[2].text_content(), "earlier");
  EXPECT_EQ(m[4].recipient, "functions.get_weather");
  EXPECT_EQ(m[5].name, "functions.get_weather");
  EXPECT_EQ(rr.history.size(), 4u);
  body["previous_response_id"] = "resp_missing";
  std::string param;
  EXPECT_EQ(error_status([&] { parse_responses_request(body, ctx(), lookup); }, &param), 404);
  EXPECT_EQ(param, "previous_response_id");
}

TEST(ResponsesRequest, BuiltinToolsNeedTheServerToRunThem) {
  Json body = responses_body("compute");
  body["tools"] = Json::parse(R"([{"type":"code_interpreter","container":{"type":"auto"}}])");
  ResponsesRequest rr = parse_responses_request(body, ctx(), {});
  EXPECT_EQ(rr.gen.server_tools, std::vector<std::string>{"python"});
  const auto& sys = std::get<harmony::SystemContent>(rr.gen.conversation.messages[0].content[0]);
  EXPECT_TRUE(sys.tools.count("python"));
  MappingContext bare = ctx();
  bare.builtins.clear();
  EXPECT_EQ(error_status([&] { parse_responses_request(body, bare, {}); }), 400);
}

TEST(ResponsesResponse, ReasoningMessageAndStreamEventsAgree) {
  auto r = responses_run(responses_body("2+2?"),
                         {{"", "<|channel|>analysis<|message|>Sum.<|end|><|start|>assistant"
                               "<|channel|>final<|message|>4<|return|>"}});
  const Json& out = r.response["output"];
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["type"], "reasoning");
  EXPECT_EQ(out[0]["content"][0]["text"], "Sum.");
  EXPECT_EQ(out[1]["type"], "message");
  EXPECT_EQ(out[1]["content"][0]["text"], "4");
  EXPECT_EQ(r.response["status"], "completed");
  // The stream: created first, completed last, sequence numbers in order, each item's done
  // event equal to the final item, text deltas adding up.
  EXPECT_EQ(r.events.front()["type"], "response.created");
  EXPECT_EQ(r.events.back()["type"], "response.completed");
  EXPECT_EQ(r.events.back()["response"]["output"], out);
  std::string text;
  std::vector<Json> done;
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    EXPECT_EQ(r.events[i]["sequence_number"], i);
    if (r.events[i]["type"] == "response.output_text.delta") text += r.events[i]["delta"].get<std::string>();
    if (r.events[i]["type"] == "response.output_item.done") done.push_back(r.events[i]["item"]);
  }
  EXPECT_EQ(text, "4");
  EXPECT_EQ(Json(done), out);
}

TEST(ResponsesResponse, FunctionCallItemWithArgumentDeltas) {
  Json body = responses_body("Weather?");
  body["tools"] = Json::parse(R"([{"type":"function","name":"get_weather","parameters":{"type":"object"}}])");
  auto r = responses_run(body, {{"", "<|channel|>commentary to=functions.get_weather <|constrain|>json"
                                     "<|message|>{\"city\":\"Oslo\"}<|call|>"}});
  const Json& out = r.response["output"];
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["type"], "function_call");
  EXPECT_EQ(out[0]["name"], "get_weather");
  EXPECT_EQ(out[0]["arguments"], "{\"city\":\"Oslo\"}");
  std::string args;
  for (const auto& e : r.events)
    if (e["type"] == "response.function_call_arguments.delta") args += e["delta"].get<std::string>();
  EXPECT_EQ(args, "{\"city\":\"Oslo\"}");
  EXPECT_EQ(r.out.finish, "tool_calls");
}

// ---- pieces ----

TEST(StopMatcher, HoldsBackPossibleStartsAndCutsAtTheStop) {
  StopMatcher m({"END"});
  EXPECT_EQ(m.feed("abc E"), "abc ");
  EXPECT_EQ(m.feed("N"), "");
  EXPECT_EQ(m.feed("X"), "ENX");
  EXPECT_EQ(m.feed("yyEN"), "yy");
  EXPECT_EQ(m.feed("Dzz"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.flush(), "");
  StopMatcher tail({"END"});
  EXPECT_EQ(tail.feed("abE"), "ab");
  EXPECT_EQ(tail.flush(), "E");
  StopMatcher none({});
  EXPECT_EQ(none.feed("x"), "x");
}

TEST(ResponseStore, SurvivesANewInstanceAndRefusesForeignIds) {
  auto dir = std::filesystem::temp_directory_path() / ("ossa-store-" + make_id(""));
  {
    ResponseStore s(dir);
    s.put("resp_abc", Json{{"id", "resp_abc"}}, {Message::text(Role::User, "hi")});
  }
  ResponseStore again(dir);
  ASSERT_TRUE(again.response("resp_abc"));
  EXPECT_EQ((*again.response("resp_abc"))["id"], "resp_abc");
  auto conv = again.conversation("resp_abc");
  ASSERT_TRUE(conv);
  EXPECT_EQ(conv->at(0).text_content(), "hi");
  EXPECT_FALSE(again.response("resp_nope"));
  EXPECT_FALSE(again.response("../../etc/passwd"));
  EXPECT_FALSE(ResponseStore::valid_id("resp_../x"));
  std::filesystem::remove_all(dir);
}

TEST(Metrics, PrometheusText) {
  Metrics m;
  m.request("/v1/chat/completions", 200);
  m.request("/v1/chat/completions", 200);
  m.tokens(10, 4, 7);
  m.time_to_first_token(0.003);
  m.tool_call("python", "ok");
  m.set_gauges(2, 3, 100, 4);
  std::string t = m.render();
  EXPECT_NE(t.find("ossa_http_requests_total{route=\"/v1/chat/completions\",code=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("ossa_prompt_cached_tokens_total 4\n"), std::string::npos);
  EXPECT_NE(t.find("ossa_time_to_first_token_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("ossa_time_to_first_token_seconds_bucket{le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(t.find("ossa_queue_depth 2\n"), std::string::npos);
  EXPECT_NE(t.find("ossa_tool_calls_total{tool=\"python\",outcome=\"ok\"} 1\n"), std::string::npos);
}

}  // namespace
