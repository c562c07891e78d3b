// Every render vector (tests/data/harmony/cases/render_*.json) is its own test: the conversation
// JSON renders to exactly the reference's token ids and text, or fails like the reference.
#include <gtest/gtest.h>

#include "runtime/harmony/renderer.hpp"
#include "tests/harmony/vectors.hpp"

using namespace ossa::harmony;

namespace {

class RenderVector : public ::testing::TestWithParam<std::string> {};

TEST_P(RenderVector, MatchesReference) {
  const auto v = ossa::test::load_json("harmony/cases/" + GetParam());
  SCOPED_TRACE(v.value("description", ""));
  const Tokenizer& tok = Tokenizer::builtin();
  Renderer renderer(tok);
  RenderConfig config;
  if (v["config"].is_object()) config.auto_drop_analysis = v["config"].value("auto_drop_analysis", false);
  auto conv = conversation_from_json(v["conversation"]);
  Result<std::vector<TokenId>> tokens = Error{"not rendered"};
  if (conv) {
    const std::string api = v["api"];
    if (api == "render_conversation_for_completion") {
      auto role = parse_role(v["next_turn_role"].get<std::string>());
      ASSERT_TRUE(role);
      tokens = renderer.render_for_completion(*conv, *role, config);
    } else if (api == "render_conversation") {
      tokens = renderer.render_conversation(*conv, config);
    } else {
      ASSERT_EQ(api, "render_conversation_for_training");
      tokens = renderer.render_for_training(*conv, config);
    }
  }
  if (v.contains("expected_error") && !v["expected_error"].is_null()) {
    const std::string expected = v["expected_error"];
    const std::string got = conv ? tokens.error() : conv.error();
    EXPECT_FALSE(conv && tokens) << "expected error: " << expected;
    // The reference's message, compared loosely: its first words appear in ours.
    EXPECT_NE(got.find(expected.substr(0, std::min<size_t>(expected.size(), 20))), std::string::npos)
        << "expected \"" << expected << "\", got \"" << got << "\"";
    return;
  }
  ASSERT_TRUE(conv) << conv.error();
  ASSERT_TRUE(tokens) << tokens.error();
  EXPECT_EQ(*tokens, v["expected_tokens"].get<std::vector<TokenId>>());
  EXPECT_EQ(tok.decode_lossy(*tokens), v["expected_text"].get<std::string>());
  if (v.value("tokens_equal_whole_text_encoding", false)) {
    EXPECT_EQ(tok.encode_with_specials(v["expected_text"].get<std::string>()), *tokens);
  }
  if (v.contains("fixture") && v["fixture"].is_string()) {
    std::string fixture = ossa::test::read_file(std::string(OSSA_TEST_DATA_DIR) +
                                                "/harmony/" +
                                                v["fixture"].get<std::string>());
    while (!fixture.empty() && std::isspace(static_cast<unsigned char>(fixture.back()))) fixture.pop_back();
    EXPECT_EQ(tok.decode_lossy(*tokens), fixture);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, RenderVector,
                         ::testing::ValuesIn(ossa::test::case_files("harmony/cases", "render_")),
                         [](const auto& p) { return ossa::test::test_name(p.param); });

TEST(Renderer, CppApiBuildsTheCanonicalToolCallAndResult) {
  const Tokenizer& tok = Tokenizer::builtin();
  Renderer r(tok);
  Message call = Message::text(Role::Assistant, R"({"location":"SF"})");
  call.channel = "commentary";
  call.recipient = "functions.get_weather";
  call.content_type = "<|constrain|>json";
  Conversation conv{{call, Message::tool_result("functions.get_weather", R"({"temp":20})")}};
  auto out = r.render_conversation(conv);
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(tok.decode_lossy(*out),
            "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json"
            "<|message|>{\"location\":\"SF\"}<|call|><|start|>functions.get_weather to=assistant"
            "<|channel|>commentary<|message|>{\"temp\":20}<|end|>");
}

TEST(Renderer, SystemDefaultsMatchTheReferenceConstructor) {
  std::string body = render_system_body(SystemContent::defaults(), true);
  EXPECT_EQ(body,
            "You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n\n"
            "Reasoning: medium\n\n# Valid channels: analysis, commentary, final. Channel must be "
            "included for every message.\nCalls to these tools must go to the commentary channel: "
            "'functions'.");
}

TEST(Renderer, JsonRoundTripKeepsTheRendering) {
  for (const auto& file : ossa::test::case_files("harmony/cases", "render_")) {
    const auto v = ossa::test::load_json("harmony/cases/" + file);
    auto conv = conversation_from_json(v["conversation"]);
    if (!conv) continue;
    auto again = conversation_from_json(to_json(*conv));
    ASSERT_TRUE(again) << file << ": " << again.error();
    Renderer r(Tokenizer::builtin());
    auto a = r.render_conversation(*conv), b = r.render_conversation(*again);
    ASSERT_EQ(a.ok(), b.ok()) << file;
    if (a) {
      EXPECT_EQ(*a, *b) << file;
    }
  }
}

TEST(Renderer, RejectsMalformedConversationJson) {
  EXPECT_FALSE(conversation_from_json(Json::parse(R"({"messages": 3})")));
  EXPECT_FALSE(conversation_from_json(Json::parse(R"({"messages": [{"role": "robot"}]})")));
  EXPECT_FALSE(conversation_from_json(Json::parse(R"([{"role": "user", "content": 5}])")));
  EXPECT_FALSE(conversation_from_json(
      Json::parse(R"([{"role": "user", "content": [{"type": "image"}]}])")));
  EXPECT_TRUE(conversation_from_json(Json::parse(R"([{"role": "user", "content": "hi"}])")));
}

}  // namespace
