// Registry: namespaces in harmony's JSON shape, recipient resolution with the aliases models
// use, and dispatch turning every failure into a result the model can read.
#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/tools/tool_test_util.hpp"
#include "tools/registry.hpp"

using namespace ossa::tools;

namespace {

// A test tool that echoes its arguments (or throws, to prove exceptions never escape).
class EchoTool final : public Tool {
 public:
  EchoTool(std::string ns, std::string name, Json params, BodyKind body = BodyKind::json) {
    spec_.ns = std::move(ns);
    spec_.name = std::move(name);
    spec_.description = "Echoes.";
    spec_.parameters = std::move(params);
    spec_.body = body;
  }
  const ToolSpec& spec() const override { return spec_; }
  boost::asio::awaitable<ToolResult> invoke(const ToolCall& call, ToolContext&) override {
    if (call.arguments.is_object() && call.arguments.value("boom", false))
      throw std::runtime_error("kaboom");
    co_return ToolResult::success(spec_.body == BodyKind::json ? call.arguments.dump() : call.body);
  }

 private:
  ToolSpec spec_;
};

Json weather_schema() {
  return Json::parse(R"({"type":"object","properties":{
    "location":{"type":"string"},"units":{"type":"string","enum":["celsius","fahrenheit"]},
    "boom":{"type":"boolean"}},"required":["location"]})");
}

Registry make_registry() {
  Registry reg;
  reg.add(std::make_shared<EchoTool>("python", "", nullptr, BodyKind::text));
  reg.describe_namespace("python", "Run python.");
  reg.add(std::make_shared<EchoTool>("browser", "search", Json::parse(R"({"type":"object","properties":{"query":{"type":"string"}}})")));
  reg.add(std::make_shared<EchoTool>("functions", "get_weather", weather_schema()));
  reg.add(std::make_shared<EchoTool>("functions", "shell", Json::parse(R"({"type":"object","properties":{"cmd":{"type":"string"}}})")));
  return reg;
}

}  // namespace

TEST(Registry, NamespacesHaveHarmonyShapeAndKeepPropertyOrder) {
  Registry reg = make_registry();
  Json sys = reg.system_tools();
  ASSERT_TRUE(sys.contains("python"));
  EXPECT_EQ(sys["python"]["description"], "Run python.");
  EXPECT_TRUE(sys["python"]["tools"].empty());
  EXPECT_EQ(sys["browser"]["tools"][0]["name"], "search");
  EXPECT_TRUE(sys["browser"]["description"].is_null());
  Json dev = reg.developer_tools();
  ASSERT_EQ(dev.size(), 1u);
  ASSERT_EQ(dev["functions"]["tools"].size(), 2u);
  const Json& weather = dev["functions"]["tools"][0];
  EXPECT_EQ(weather["name"], "get_weather");
  auto it = weather["parameters"]["properties"].begin();
  EXPECT_EQ(it.key(), "location");
  EXPECT_EQ((++it).key(), "units");  // insertion order, not sorted
}

TEST(Registry, ResolvesAliasesModelsUse) {
  Registry reg = make_registry();
  reg.add_alias("container.exec", "functions.shell");
  auto r = [&](const char* s) { return reg.resolve(s).recipient; };
  EXPECT_EQ(r("python"), "python");
  EXPECT_EQ(r("functions.python"), "python");
  EXPECT_EQ(r("python.exec"), "python");
  EXPECT_EQ(r("functions.browser.search"), "browser.search");
  EXPECT_EQ(r("functions.get_weather <|constrain|>json"), "functions.get_weather");
  EXPECT_EQ(r(" get_weather "), "functions.get_weather");
  EXPECT_EQ(r("container.exec"), "functions.shell");
  auto bad = reg.resolve("functions.teleport");
  EXPECT_EQ(bad.tool, nullptr);
  EXPECT_NE(bad.error.find("Unknown tool `functions.teleport`"), std::string::npos);
  EXPECT_NE(bad.error.find("functions.get_weather"), std::string::npos);
}

TEST(Registry, DuplicateAndBadSchemaAreRejectedAtRegistration) {
  Registry reg = make_registry();
  EXPECT_THROW(reg.add(std::make_shared<EchoTool>("functions", "shell", nullptr)), std::invalid_argument);
  EXPECT_THROW(reg.add(std::make_shared<EchoTool>("functions", "x", Json("nope"))), std::invalid_argument);
}

TEST(Registry, DispatchValidatesRepairsAndNeverThrows) {
  boost::asio::io_context io;
  Registry reg = make_registry();
  ToolContext ctx;
  auto ok = ossa::test::call_tool(io, reg, ctx, "functions.get_weather", R"({"location":"Paris"})");
  EXPECT_FALSE(ok.is_error) << ok.text;
  EXPECT_EQ(ok.metadata["tool"], "functions.get_weather");

  auto repaired = ossa::test::call_tool(io, reg, ctx, "get_weather", R"("{\"location\":\"Oslo\"}")");
  EXPECT_FALSE(repaired.is_error) << repaired.text;
  EXPECT_EQ(repaired.metadata["repair"], "double-encoded");

  auto invalid = ossa::test::call_tool(io, reg, ctx, "functions.get_weather",
                                       R"({"location":"Paris","units":"kelvin"})");
  EXPECT_TRUE(invalid.is_error);
  EXPECT_EQ(invalid.text, "Invalid arguments for `functions.get_weather`: argument `units`: expected "
                          "one of \"celsius\", \"fahrenheit\"; got string \"kelvin\".");

  auto broken = ossa::test::call_tool(io, reg, ctx, "functions.get_weather", "{location: Paris");
  EXPECT_TRUE(broken.is_error);
  EXPECT_NE(broken.text.find("not valid JSON"), std::string::npos);

  auto thrown = ossa::test::call_tool(io, reg, ctx, "functions.get_weather", R"({"location":"x","boom":true})");
  EXPECT_TRUE(thrown.is_error);
  EXPECT_NE(thrown.text.find("kaboom"), std::string::npos);

  auto unknown = ossa::test::call_tool(io, reg, ctx, "nothing.here", "{}");
  EXPECT_TRUE(unknown.is_error);

  auto text = ossa::test::call_tool(io, reg, ctx, "python", "print('hi')");
  EXPECT_FALSE(text.is_error);
  EXPECT_EQ(text.text, "print('hi')");
}

TEST(Registry, RetainKeepsSelectedTools) {
  Registry reg = make_registry();
  auto unmatched = reg.retain({"python", "get_weather", "nonexistent"});
  EXPECT_EQ(unmatched, std::vector<std::string>{"nonexistent"});
  EXPECT_EQ(reg.tools().size(), 2u);
  EXPECT_TRUE(reg.developer_tools()["functions"]["tools"].size() == 1);
}

namespace {
// An object schema whose one property is the same object schema, `depth` levels down.
std::string nested_objects(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += R"({"type":"object","properties":{"a":)";
  s += R"({"type":"string"})";
  for (int i = 0; i < depth; ++i) s += "}}";
  return s;
}
}  // namespace

// Schemas nested thousands deep (a hostile tool file, an MCP server) used to overflow the stack
// in the schema compiler; they are refused at registration with the limit named, and the
// model's arguments nested deeper than the limit are an error it can read.
TEST(Registry, DeepSchemasAndArgumentsAreRefusedNotWalked) {
  Registry reg = make_registry();
  try {
    reg.add(std::make_shared<EchoTool>("functions", "deep", Json::parse(nested_objects(5000))));
    ADD_FAILURE() << "a 5000-deep schema was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("deeper than 64"), std::string::npos) << e.what();
  }
  reg.add(std::make_shared<EchoTool>("functions", "ok", Json::parse(nested_objects(20))));

  boost::asio::io_context io;
  ToolContext ctx;
  std::string deep_args = std::string(100000, '[') + std::string(100000, ']');
  auto r = ossa::test::call_tool(io, reg, ctx, "functions.get_weather",
                                 R"({"location": "x", "units": )" + deep_args + "}");
  EXPECT_TRUE(r.is_error);
  EXPECT_NE(r.text.find("deeper than 64"), std::string::npos) << r.text;
}
