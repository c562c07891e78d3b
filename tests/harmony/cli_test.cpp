// `ossa tokenize` and `ossa harmony render|parse`, run as the built binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/cli/subprocess.hpp"
#include "tests/harmony/vectors.hpp"

using ossa::test::run_ossa;
using nlohmann::json;

namespace {

TEST(TokenizeCommand, EncodesAndDecodesRoundTrip) {
  auto r = run_ossa({"tokenize"}, "hello world");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse("[24912,2375]"));
  auto d = run_ossa({"tokenize", "--decode"}, r.out);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, "hello world");
}

TEST(TokenizeCommand, SpecialTokensOnlyWhenAllowed) {
  auto plain = run_ossa({"tokenize"}, "<|end|>");
  auto special = run_ossa({"tokenize", "--allow-special"}, "<|end|>");
  EXPECT_NE(json::parse(plain.out), json::parse("[200007]"));
  EXPECT_EQ(json::parse(special.out), json::parse("[200007]"));
}

TEST(TokenizeCommand, ExplicitRanksFileGivesTheSameIds) {
  auto r = run_ossa({"tokenize", "--tokenizer", OSSA_HARMONY_RANKS_FILE}, "Grüße, 世界!");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, run_ossa({"tokenize"}, "Grüße, 世界!").out);
  EXPECT_EQ(run_ossa({"tokenize", "--tokenizer", "/nonexistent.tiktoken"}, "x").exit_code, 1);
}

TEST(TokenizeCommand, BadInputIsAnErrorNotACrash) {
  EXPECT_EQ(run_ossa({"tokenize", "--decode"}, "[1, \"x\"]").exit_code, 1);
  EXPECT_EQ(run_ossa({"tokenize", "--decode"}, "[999999]").exit_code, 1);
  EXPECT_EQ(run_ossa({"tokenize", "--decode"}, "not json").exit_code, 1);
}

TEST(HarmonyCommand, RenderMatchesAVector) {
  const auto v = ossa::test::load_json("harmony/cases/render_tool_loop_then_final_next_turn_drop.json");
  auto r = run_ossa({"harmony", "render", "--api", "completion", "--next-role", "assistant",
                     "--auto-drop-analysis"},
                    v["conversation"].dump());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = json::parse(r.out);
  EXPECT_EQ(out["tokens"], json::parse(v["expected_tokens"].dump()));
  EXPECT_EQ(out["text"], v["expected_text"].get<std::string>());
}

TEST(HarmonyCommand, RenderLinesRendersOneConversationPerLine) {
  // A training set in one process: each line is rendered as `render` would render it alone; a
  // broken line gives an error line in its place, the others still render, and the exit
  // status is 1.
  const auto v = ossa::test::load_json("harmony/cases/render_tool_loop_then_final_next_turn_drop.json");
  const std::string conv = v["conversation"].dump();
  auto alone = run_ossa({"harmony", "render", "--api", "training"}, conv);
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  auto r = run_ossa({"harmony", "render", "--api", "training", "--lines"},
                    conv + "\n\n" + R"({"messages":[{"role":"tool","content":"x"}]})" + "\n" + conv + "\n");
  EXPECT_EQ(r.exit_code, 1);
  std::vector<json> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0]["tokens"], json::parse(alone.out)["tokens"]);
  EXPECT_NE(lines[1]["error"].get<std::string>().find("Tools should have a name"), std::string::npos);
  EXPECT_EQ(lines[2]["tokens"], lines[0]["tokens"]);
  auto ok = run_ossa({"harmony", "render", "--api", "training", "--lines"}, conv + "\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(HarmonyCommand, RenderErrorsExitOne) {
  auto r = run_ossa({"harmony", "render"}, R"({"messages":[{"role":"tool","content":"x"}]})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Tools should have a name"), std::string::npos) << r.err;
  EXPECT_EQ(run_ossa({"harmony", "render", "--api", "bogus"}, "{}").exit_code, 2);
}

TEST(HarmonyCommand, ParseReproducesReferenceIncludingErrors) {
  const auto v = ossa::test::load_json("harmony/cases/parse_strict_missing_message_token_error.json");
  auto r = run_ossa({"harmony", "parse", "--role", "assistant", "--strict"}, v["input_tokens"].dump());
  EXPECT_EQ(r.exit_code, 1);
  auto out = json::parse(r.out);
  EXPECT_EQ(out["error"], v["expected_error"].get<std::string>());
  EXPECT_NE(r.err.find(v["expected_error"].get<std::string>()), std::string::npos);
  // The default (non-strict) mode recovers this stream like the reference.
  const auto ns = ossa::test::load_json("harmony/cases/parse_nonstrict_missing_message_token_recovery.json");
  auto n = run_ossa({"harmony", "parse", "--role", "assistant"}, ns["input_tokens"].dump());
  ASSERT_EQ(n.exit_code, 0) << n.err;
  EXPECT_EQ(json::parse(n.out)["messages"], json::parse(ns["expected_messages"].dump()));
}

TEST(HarmonyCommand, TolerantParseListsBrokenMessagesAndKeepsTheRest) {
  auto ids = run_ossa({"tokenize", "--allow-special"},
                      "<|start|>robot<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>ok<|return|>");
  auto r = run_ossa({"harmony", "parse", "--tolerant"}, ids.out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = json::parse(r.out);
  ASSERT_EQ(out["messages"].size(), 1u);
  ASSERT_EQ(out["errors"].size(), 1u);
  EXPECT_EQ(out["errors"][0]["raw_text"], "<|start|>robot<|message|>x<|end|>");
}

TEST(HarmonyCommand, NoEosLeavesTheLastMessageOpen) {
  auto ids = run_ossa({"tokenize", "--allow-special"}, "<|start|>assistant<|message|>partial");
  EXPECT_EQ(json::parse(run_ossa({"harmony", "parse"}, ids.out).out)["messages"].size(), 1u);
  EXPECT_EQ(json::parse(run_ossa({"harmony", "parse", "--no-eos"}, ids.out).out)["messages"].size(), 0u);
}

}  // namespace

namespace {
// {"type":"array","items": ... } nested `depth` times around a string schema.
std::string nested_items(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += R"({"type":"array","items":)";
  s += R"({"type":"string"})";
  s.append(static_cast<std::size_t>(depth), '}');
  return s;
}
std::string conversation_with_parameters(const std::string& schema) {
  return R"({"messages":[{"role":"developer","content":[{"type":"developer_content","tools":{"functions":{"name":"functions","tools":[{"name":"f","parameters":)" +
         schema + R"(}]}}}]},{"role":"user","content":"hi"}]})";
}
}  // namespace

// A hostile schema nested 20,000 deep used to overflow the stack in the TypeScript rendering;
// now it is refused with a message naming the limit, and a schema at the limit still renders.
TEST(HarmonyCommand, DeepSchemaIsAnErrorNotACrash) {
  auto r = run_ossa({"harmony", "render"}, conversation_with_parameters(nested_items(20000)));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("deeper than"), std::string::npos) << r.err;
  auto ok = run_ossa({"harmony", "render"}, conversation_with_parameters(nested_items(30)));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("string[][]"), std::string::npos);
}

// `--decode` prints raw text, and its help says so (the README promises JSON elsewhere).
TEST(TokenizeCommand, DecodeHelpSaysTheOutputIsRawText) {
  auto r = run_ossa({"tokenize", "--help"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("raw bytes"), std::string::npos) << r.out;
}
