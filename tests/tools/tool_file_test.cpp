// User-defined tools from JSON files: validation errors naming file and field, a command tool
// and an http tool end to end (the http one against a loopback test server).
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/net/test_server.hpp"
#include "tests/tools/temp_dir.hpp"
#include "tests/tools/tool_test_util.hpp"
#include "tools/custom/tool_file.hpp"

using namespace ossa::tools;
using ossa::test::TempDir;

namespace {
std::string errors_of(const TempDir& dir, const std::string& name, const std::string& json) {
  dir.write(name, json);
  LoadedTool t = load_tool_file(dir.path() / name);
  EXPECT_EQ(t.tool, nullptr);
  std::string all;
  for (const auto& e : t.errors) all += e + "\n";
  return all;
}
}  // namespace

TEST(ToolFile, ErrorsNameFileAndField) {
  TempDir d;
  std::string e = errors_of(d, "bad_json.json", "{\"name\": ");
  EXPECT_NE(e.find("bad_json.json: not valid JSON"), std::string::npos) << e;
  e = errors_of(d, "no_desc.json", R"({"name": "t", "command": {"argv": ["/bin/true"]}})");
  EXPECT_NE(e.find("no_desc.json: missing required field `description`"), std::string::npos) << e;
  e = errors_of(d, "bad_name.json", R"({"name": "has space", "description": "d", "command": {"argv": ["x"]}})");
  EXPECT_NE(e.find("bad_name.json: field `name`"), std::string::npos) << e;
  e = errors_of(d, "neither.json", R"({"name": "t", "description": "d"})");
  EXPECT_NE(e.find("needs a `command` or an `http` binding"), std::string::npos) << e;
  e = errors_of(d, "both.json", R"({"name": "t", "description": "d", "command": {"argv": ["x"]},
                                   "http": {"url": "http://127.0.0.1/"}})");
  EXPECT_NE(e.find("has both"), std::string::npos) << e;
  e = errors_of(d, "types.json", R"({"name": "t", "description": "d", "timeout_ms": "soon",
                                    "http": {"url": "ftp://x", "method": "FETCH", "extra": 1}})");
  EXPECT_NE(e.find("field `timeout_ms`: expected integer; got string \"soon\""), std::string::npos) << e;
  EXPECT_NE(e.find("field `http.method`: expected one of"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown field `http.extra`"), std::string::npos) << e;
  EXPECT_NE(e.find("field `http.url`"), std::string::npos) << e;
  e = errors_of(d, "schema.json", R"({"name": "t", "description": "d", "command": {"argv": ["x"]},
      "parameters": {"type": "object", "properties": {"a": {"$ref": "#/definitions/missing"}}}})");
  EXPECT_NE(e.find("schema.json: field `parameters`"), std::string::npos) << e;
  e = errors_of(d, "rule.json", R"({"name": "t", "description": "d",
      "http": {"url": "http://127.0.0.1/", "allow": ["http://exa mple:99999"]}})");
  EXPECT_NE(e.find("rule.json: field `http.allow`"), std::string::npos) << e;
}

TEST(ToolFile, DirectoryLoadSkipsBrokenFilesAndKeepsTheRest) {
  TempDir d;
  d.write("a_good.json", R"({"name": "echo_args", "description": "Echo.", "command": {"argv": ["/bin/cat"]}})");
  d.write("b_bad.json", R"({"name": 5})");
  d.write("notes.txt", "not a tool");
  Registry reg;
  LoadReport r = load_tool_dir(reg, d.path());
  EXPECT_EQ(r.loaded, std::vector<std::string>{"functions.echo_args"});
  ASSERT_EQ(r.errors.size(), 3u);  // name type, missing description, missing binding
  EXPECT_NE(r.errors[0].find("b_bad.json"), std::string::npos);
}

TEST(ToolFile, CommandToolRunsInTheSandboxWithArgumentsOnStdin) {
  TempDir tools_dir, ws;
  tools_dir.write("count.py",
                  "import json, sys\n"
                  "args = json.load(sys.stdin)\n"
                  "text = open('/mnt/data/' + args['path']).read()\n"
                  "words = len(text.split())\n"
                  "print(json.dumps({'words': words, 'flag': sys.argv[1:]}))\n"
                  "sys.exit(2 if words == 0 else 0)\n");
  tools_dir.write("count.json", R"({
    "name": "count_words", "description": "Count words in a workspace file.",
    "parameters": {"type": "object", "properties": {"path": {"type": "string"},
                   "mode": {"type": "string", "enum": ["fast", "exact"]}}, "required": ["path"]},
    "command": {"argv": ["/usr/bin/python3", "{tool_dir}/count.py", "--mode={mode}", "{mode}"]}
  })");
  ws.write("doc.txt", "one two three\n");
  ws.write("empty.txt", "");
  Registry reg;
  LoadReport rep = load_tool_dir(reg, tools_dir.path());
  ASSERT_TRUE(rep.errors.empty()) << rep.errors.front();
  boost::asio::io_context io;
  ToolContext ctx;
  ctx.workspace = ws.path();
  ctx.limits.timeout = std::chrono::seconds(20);
  auto ok = ossa::test::call_tool(io, reg, ctx, "functions.count_words", R"({"path": "doc.txt", "mode": "fast"})");
  EXPECT_FALSE(ok.is_error) << ok.text;
  EXPECT_EQ(ok.text, "{\"words\": 3, \"flag\": [\"--mode=fast\", \"fast\"]}\n");
  // An absent optional argument drops an element that is only its placeholder.
  auto no_mode = ossa::test::call_tool(io, reg, ctx, "count_words", R"({"path": "doc.txt"})");
  EXPECT_EQ(no_mode.text, "{\"words\": 3, \"flag\": [\"--mode=\"]}\n") << no_mode.text;
  auto failed = ossa::test::call_tool(io, reg, ctx, "count_words", R"({"path": "empty.txt"})");
  EXPECT_TRUE(failed.is_error);
  EXPECT_NE(failed.text.find("exited with status 2"), std::string::npos) << failed.text;
  auto invalid = ossa::test::call_tool(io, reg, ctx, "count_words", R"({"path": "doc.txt", "mode": "slow"})");
  EXPECT_TRUE(invalid.is_error);
  EXPECT_NE(invalid.text.find("argument `mode`: expected one of \"fast\", \"exact\""), std::string::npos);
}

TEST(ToolFile, HttpToolEndToEndWithSecretsAndPolicy) {
  ossa::test::TestServer server([](const ossa::test::ServerRequest& req) {
    ossa::test::ServerReply rep;
    if (req.header("Authorization") != "Bearer s3cret") {
      rep.status = 401;
      rep.body = "{\"error\":\"unauthorized\"}";
      return rep;
    }
    rep.headers.emplace_back("Content-Type", "application/json");
    rep.body = "{\"target\":\"" + req.target + "\",\"body\":" + (req.body.empty() ? "null" : req.body) + "}";
    return rep;
  });
  const std::string base = server.base_url();
  Json def = {{"name", "get_weather"},
              {"description", "Weather."},
              {"parameters", Json::parse(R"({"type":"object","properties":{"city":{"type":"string"},
                  "units":{"type":"string","enum":["celsius","fahrenheit"],"default":"celsius"}},"required":["city"]})")},
              {"http", {{"method", "GET"},
                        {"url", base + "/weather?city={city}&units={units}"},
                        {"headers", {{"Authorization", "Bearer ${OSSA_TEST_WEATHER_TOKEN}"}}},
                        {"allow", {base}}}}};
  Json post = def;
  post["name"] = "post_weather";
  post["http"]["method"] = "POST";
  post["http"]["url"] = base + "/report";
  Json blocked = def;
  blocked["name"] = "blocked";
  blocked["http"].erase("allow");

  std::optional<std::string> token = "s3cret";
  ToolFileOptions options;
  options.secrets = std::make_shared<const Secrets>(
      std::vector<SecretSpec>{{"OSSA_TEST_WEATHER_TOKEN", "", {base}}},
      [&](std::string_view env) -> std::optional<std::string> {
        if (env == "OSSA_TEST_WEATHER_TOKEN") return token;
        return std::nullopt;
      });
  Registry reg;
  for (const Json& d : {def, post, blocked}) {
    LoadedTool t = tool_from_json(d, "test", {}, options);
    ASSERT_TRUE(t.tool) << t.errors.front();
    reg.add(t.tool);
  }
  boost::asio::io_context io;
  ToolContext ctx;
  ctx.secrets = options.secrets;
  auto r = ossa::test::call_tool(io, reg, ctx, "functions.get_weather", R"({"city": "São Paulo & co"})");
  EXPECT_FALSE(r.is_error) << r.text;
  EXPECT_NE(r.text.find("HTTP 200"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("/weather?city=S%C3%A3o%20Paulo%20%26%20co&units=celsius"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("s3cret"), std::string::npos);
  EXPECT_EQ(r.metadata.dump().find("s3cret"), std::string::npos);

  auto p = ossa::test::call_tool(io, reg, ctx, "post_weather", R"({"city": "Oslo"})");
  EXPECT_NE(p.text.find(R"("body":{"city":"Oslo","units":"celsius"})"), std::string::npos) << p.text;

  token = "wrong";
  auto denied = ossa::test::call_tool(io, reg, ctx, "get_weather", R"({"city": "Oslo"})");
  EXPECT_TRUE(denied.is_error);
  EXPECT_NE(denied.text.find("HTTP 401"), std::string::npos) << denied.text;

  auto refused = ossa::test::call_tool(io, reg, ctx, "blocked", R"({"city": "Oslo"})");
  EXPECT_TRUE(refused.is_error);
  EXPECT_NE(refused.text.find("policy"), std::string::npos) << refused.text;

  token.reset();
  auto unset = ossa::test::call_tool(io, reg, ctx, "get_weather", R"({"city": "Oslo"})");
  EXPECT_TRUE(unset.is_error);
  EXPECT_NE(unset.text.find("`OSSA_TEST_WEATHER_TOKEN` has no value"), std::string::npos) << unset.text;
  EXPECT_EQ(server.requests().size(), 3u);  // the refused and unconfigured calls never left
}

// A tool file nested thousands deep used to crash `ossa tools list` and `ossa run` while
// loading; it is a load error naming the file and the limit.
TEST(ToolFile, DeeplyNestedDefinitionIsAnErrorNotACrash) {
  std::string schema;
  for (int i = 0; i < 5000; ++i) schema += R"({"type":"object","properties":{"a":)";
  schema += R"({"type":"string"})";
  for (int i = 0; i < 5000; ++i) schema += "}}";
  Json def = Json::parse(R"({"name": "deep", "description": "d", "command": {"argv": ["/bin/true"]}, "parameters": )" +
                         schema + "}");
  LoadedTool t = tool_from_json(def, "deep.json", "/tmp");
  EXPECT_FALSE(t.tool);
  ASSERT_FALSE(t.errors.empty());
  EXPECT_NE(t.errors[0].find("deep.json"), std::string::npos) << t.errors[0];
  EXPECT_NE(t.errors[0].find("deeper than"), std::string::npos) << t.errors[0];
}

// Issue 17, item 6, as attacked: `{id}` = `..` in `/api/users/{id}/profile` sent
// `GET /api/profile` with the tool's bearer token. The request path must keep the template's
// segments, whatever the argument holds.
TEST(ToolFile, HttpToolPlaceholderCannotClimbThePath) {
  ossa::test::TestServer server([](const ossa::test::ServerRequest&) {
    ossa::test::ServerReply rep;
    rep.body = "{}";
    return rep;
  });
  const std::string base = server.base_url();
  Json def = {{"name", "get_profile"},
              {"description", "A user's profile."},
              {"parameters", Json::parse(R"({"type":"object","properties":{"id":{"type":"string"}},"required":["id"]})")},
              {"http", {{"method", "GET"},
                        {"url", base + "/api/users/{id}/profile?v={id}"},
                        {"allow", {base}}}}};
  LoadedTool t = tool_from_json(def, "test", {});
  ASSERT_TRUE(t.tool) << t.errors.front();
  Registry reg;
  reg.add(t.tool);
  boost::asio::io_context io;
  ToolContext ctx;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"..", "/api/users/%2E%2E/profile?v=.."},
      {".", "/api/users/%2E/profile?v=."},
      {"%2e%2e", "/api/users/%252e%252e/profile?v=%252e%252e"},
      {"../../admin", "/api/users/..%2F..%2Fadmin/profile?v=..%2F..%2Fadmin"},
      {"a/b", "/api/users/a%2Fb/profile?v=a%2Fb"},
      {"...", "/api/users/.../profile?v=..."},
      {"42", "/api/users/42/profile?v=42"},
  };
  for (const auto& [id, path] : cases) {
    Json args = {{"id", id}};
    auto r = ossa::test::call_tool(io, reg, ctx, "get_profile", args.dump());
    EXPECT_FALSE(r.is_error) << id << ": " << r.text;
    ASSERT_FALSE(server.requests().empty());
    EXPECT_EQ(server.requests().back().target, path) << "id = " << id;
  }
  EXPECT_EQ(server.requests().size(), cases.size());
}

// Issue 17, item 4: a tool file's `${NAME}` named any environment variable. Undeclared names,
// and secrets bound elsewhere than the tool's URL, are errors when the file loads, naming the
// secret; a secret bound to a host is sent only there.
TEST(ToolFile, HeaderSecretsMustBeDeclaredAndBoundToTheUrlHost) {
  Json def = {{"name", "leak"},
              {"description", "Sends a header."},
              {"http", {{"method", "GET"},
                        {"url", "http://127.0.0.1:9/x"},
                        {"headers", {{"X-Key", "${AWS_SECRET_ACCESS_KEY}"}}},
                        {"allow", {"127.0.0.1:9"}}}}};
  LoadedTool none = tool_from_json(def, "leak.json", {});
  ASSERT_FALSE(none.tool);
  ASSERT_FALSE(none.errors.empty());
  EXPECT_NE(none.errors.front().find("leak.json: field `http.headers.X-Key`: the secret "
                                     "`AWS_SECRET_ACCESS_KEY` is not declared"),
            std::string::npos)
      << none.errors.front();

  ToolFileOptions options;
  options.secrets = std::make_shared<const Secrets>(std::vector<SecretSpec>{
      {"API_KEY", "", {"https://api.example.com"}}});
  LoadedTool other = tool_from_json(def, "leak.json", {}, options);
  EXPECT_FALSE(other.tool);
  def["http"]["headers"]["X-Key"] = "${API_KEY}";
  LoadedTool elsewhere = tool_from_json(def, "leak.json", {}, options);
  ASSERT_FALSE(elsewhere.tool);
  EXPECT_NE(elsewhere.errors.front().find("the secret `API_KEY` may not be sent to http://127.0.0.1:9"),
            std::string::npos)
      << elsewhere.errors.front();
  def["http"]["url"] = "https://api.example.com/v1";
  LoadedTool fine = tool_from_json(def, "ok.json", {}, options);
  EXPECT_TRUE(fine.tool) << (fine.errors.empty() ? "" : fine.errors.front());
}
