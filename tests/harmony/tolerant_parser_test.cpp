// Tolerant mode, one test per malformation the model is known to produce (SPEC §9, §11): the
// message is recovered where the intent is clear; otherwise it becomes an Error event with its
// raw text, completed messages are kept and parsing resumes at the next <|start|>.
#include <gtest/gtest.h>

#include <random>

#include "runtime/harmony/stream_parser.hpp"

using namespace ossa::harmony;

namespace {

struct Run {
  ParseResult result;
  std::vector<ParserEvent> events;
};

Run tolerant(const std::string& text, std::optional<Role> role = std::nullopt, bool eos = true) {
  const Tokenizer& tok = Tokenizer::builtin();
  StreamParser p(tok, {role, ParserMode::Tolerant});
  Run run;
  for (TokenId t : tok.encode_with_specials(text)) {
    EXPECT_TRUE(p.push(t));
    run.events.insert(run.events.end(), p.events().begin(), p.events().end());
  }
  if (eos) {
    EXPECT_TRUE(p.end_of_stream());
    run.events.insert(run.events.end(), p.events().begin(), p.events().end());
  }
  EXPECT_FALSE(p.error());
  run.result = {p.messages(), p.error(), p.issues()};
  return run;
}

const Message& only_message(const Run& r) {
  EXPECT_TRUE(r.result.issues.empty()) << r.result.issues[0].error;
  EXPECT_EQ(r.result.messages.size(), 1u);
  static const Message none;
  return r.result.messages.empty() ? none : r.result.messages[0];
}

TEST(TolerantParser, RecipientInRoleHeader) {
  auto r = tolerant("<|start|>assistant to=functions.get_weather<|channel|>commentary "
                    "<|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>");
  const Message& m = only_message(r);
  EXPECT_EQ(m.recipient, "functions.get_weather");
  EXPECT_EQ(m.channel, "commentary");
  EXPECT_EQ(m.content_type, "<|constrain|>json");
  EXPECT_EQ(m.text_content(), "{\"city\":\"Paris\"}");
}

TEST(TolerantParser, RecipientAfterChannel) {
  auto r = tolerant("<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{}<|call|>",
                    Role::Assistant);
  const Message& m = only_message(r);
  EXPECT_EQ(m.role, Role::Assistant);
  EXPECT_EQ(m.recipient, "functions.get_weather");
  EXPECT_EQ(m.channel, "commentary");
  EXPECT_EQ(m.content_type, "<|constrain|>json");
}

TEST(TolerantParser, MissingConstrainTokenKeepsPlainContentType) {
  auto r = tolerant("<|start|>assistant<|channel|>commentary to=functions.f json<|message|>{}<|call|>");
  const Message& m = only_message(r);
  EXPECT_EQ(m.recipient, "functions.f");
  EXPECT_EQ(m.content_type, "json");
}

TEST(TolerantParser, ConstrainGluedToRecipient) {
  auto r = tolerant("<|start|>assistant<|channel|>commentary to=functions.f<|constrain|>json<|message|>{}<|call|>");
  const Message& m = only_message(r);
  EXPECT_EQ(m.recipient, "functions.f");
  EXPECT_EQ(m.content_type, "<|constrain|>json");
}

TEST(TolerantParser, ConstrainGluedToChannelWithoutRecipientIsAContentType) {
  // The reference reads "<|constrain|>json" as the recipient here (vector
  // quirk_constrain_without_recipient); tolerant mode reads it as what it is.
  auto r = tolerant("<|start|>assistant<|channel|>analysis<|constrain|>json<|message|>{}<|end|>");
  const Message& m = only_message(r);
  EXPECT_FALSE(m.recipient);
  EXPECT_EQ(m.content_type, "<|constrain|>json");
}

TEST(TolerantParser, ConstrainWithoutTypeMeansJson) {
  auto r = tolerant("<|start|>assistant to=functions.f<|channel|>commentary <|constrain|><|message|>{}<|call|>");
  EXPECT_EQ(only_message(r).content_type, "<|constrain|>json");
  auto spaced = tolerant("<|start|>assistant to=functions.f<|channel|>commentary <|constrain|> json<|message|>{}<|call|>");
  EXPECT_EQ(only_message(spaced).content_type, "<|constrain|>json");
}

TEST(TolerantParser, MissingMessageTokenTakesTheRestAsContent) {
  auto r = tolerant("<|start|>assistant<|channel|>final The answer is  4.<|return|>");
  const Message& m = only_message(r);
  EXPECT_EQ(m.channel, "final");
  EXPECT_EQ(m.text_content(), "The answer is  4.");
  // Also for a later message (the reference only recovers the first one) and a tool call.
  auto call = tolerant("<|channel|>analysis<|message|>think<|end|><|start|>assistant to=functions.f"
                       "<|channel|>commentary json {\"a\": 1}<|call|>",
                       Role::Assistant);
  ASSERT_TRUE(call.result.issues.empty());
  ASSERT_EQ(call.result.messages.size(), 2u);
  EXPECT_EQ(call.result.messages[1].recipient, "functions.f");
  EXPECT_EQ(call.result.messages[1].content_type, "json");
  EXPECT_EQ(call.result.messages[1].text_content(), "{\"a\": 1}");
}

TEST(TolerantParser, DoubledStart) {
  auto r = tolerant("<|start|><|start|>assistant<|channel|>final<|message|>Hi<|return|>");
  EXPECT_EQ(only_message(r).text_content(), "Hi");
  auto role_twice = tolerant("<|start|>assistant<|start|>assistant<|channel|>final<|message|>Hi<|return|>");
  EXPECT_EQ(only_message(role_twice).channel, "final");
}

TEST(TolerantParser, EmptyChannelIsNoChannel) {
  auto r = tolerant("<|start|>assistant<|channel|><|message|>x<|end|>");
  const Message& m = only_message(r);
  EXPECT_FALSE(m.channel);
  EXPECT_EQ(m.text_content(), "x");
}

TEST(TolerantParser, EosInsideHeaderKeepsCompletedMessages) {
  auto r = tolerant("<|start|>assistant<|channel|>final<|message|>done<|end|><|start|>assistant<|channel|>ana");
  ASSERT_EQ(r.result.messages.size(), 1u);
  EXPECT_EQ(r.result.messages[0].text_content(), "done");
  ASSERT_EQ(r.result.issues.size(), 1u);
  EXPECT_EQ(r.result.issues[0].raw_text, "<|start|>assistant<|channel|>ana");
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back().kind, ParserEvent::Kind::Error);
}

TEST(TolerantParser, EosInsideContentReportsThePartialMessage) {
  auto r = tolerant("<|start|>assistant<|channel|>final<|message|>Hello wor");
  EXPECT_TRUE(r.result.messages.empty());
  ASSERT_EQ(r.result.issues.size(), 1u);
  EXPECT_EQ(r.result.issues[0].raw_text, "<|start|>assistant<|channel|>final<|message|>Hello wor");
  const ParserEvent& e = r.events.back();
  ASSERT_EQ(e.kind, ParserEvent::Kind::Error);
  EXPECT_EQ(e.message.channel, "final");
  EXPECT_EQ(e.message.text_content(), "Hello wor");
}

TEST(TolerantParser, UnknownRoleIsSkippedUpToItsStopToken) {
  auto r = tolerant("<|start|>robot<|message|>beep<|end|><|start|>assistant<|channel|>final<|message|>ok<|return|>");
  ASSERT_EQ(r.result.issues.size(), 1u);
  EXPECT_EQ(r.result.issues[0].raw_text, "<|start|>robot<|message|>beep<|end|>");
  EXPECT_NE(r.result.issues[0].error.find("robot"), std::string::npos);
  ASSERT_EQ(r.result.messages.size(), 1u);
  EXPECT_EQ(r.result.messages[0].text_content(), "ok");
}

TEST(TolerantParser, StartInsideContentEndsTheUnterminatedMessage) {
  auto r = tolerant("<|start|>assistant<|channel|>analysis<|message|>thinking<|start|>assistant"
                    "<|channel|>final<|message|>answer<|return|>");
  ASSERT_EQ(r.result.issues.size(), 1u);
  EXPECT_EQ(r.result.issues[0].raw_text, "<|start|>assistant<|channel|>analysis<|message|>thinking");
  ASSERT_EQ(r.result.messages.size(), 1u);
  EXPECT_EQ(r.result.messages[0].channel, "final");
}

TEST(TolerantParser, TextBeforeStartIsReportedAndSkipped) {
  auto r = tolerant("oops<|start|>assistant<|channel|>final<|message|>ok<|return|>");
  ASSERT_EQ(r.result.issues.size(), 1u);
  EXPECT_EQ(r.result.issues[0].raw_text, "oops");
  EXPECT_EQ(r.result.messages.size(), 1u);
}

TEST(TolerantParser, AuthorNames) {
  auto r = tolerant("<|start|>user:alice<|message|>hi<|end|>");
  const Message& m = only_message(r);
  EXPECT_EQ(m.role, Role::User);
  EXPECT_EQ(m.name, "alice");
}

TEST(TolerantParser, StreamsEventsInOrder) {
  auto r = tolerant("<|channel|>final<|message|>Hi \xF0\x9F\x92\x96 there<|return|>", Role::Assistant);
  ASSERT_GE(r.events.size(), 3u);
  EXPECT_EQ(r.events.front().kind, ParserEvent::Kind::MessageStarted);
  EXPECT_EQ(r.events.front().message.channel, "final");
  EXPECT_EQ(r.events.back().kind, ParserEvent::Kind::MessageDone);
  EXPECT_EQ(r.events.back().stop_token, tokens::kReturn);
  std::string deltas;
  for (size_t i = 1; i + 1 < r.events.size(); ++i) {
    EXPECT_EQ(r.events[i].kind, ParserEvent::Kind::ContentDelta);
    deltas += r.events[i].text;
  }
  EXPECT_EQ(deltas, "Hi \xF0\x9F\x92\x96 there");
}

TEST(TolerantParser, RandomTokensNeverStopTheParser) {
  const Tokenizer& tok = Tokenizer::builtin();
  std::mt19937 rng(42);
  const TokenId interesting[] = {tokens::kStart, tokens::kEnd, tokens::kCall, tokens::kReturn,
                                 tokens::kMessage, tokens::kChannel, tokens::kConstrain,
                                 173781, 17196, 35644, 316, 28, 4108, 300000};
  for (int run = 0; run < 200; ++run) {
    StreamParser p(tok, {run % 2 ? std::optional<Role>(Role::Assistant) : std::nullopt,
                         ParserMode::Tolerant});
    for (int i = 0; i < 60; ++i) {
      TokenId t = rng() % 3 == 0 ? interesting[rng() % std::size(interesting)]
                                 : static_cast<TokenId>(rng() % 201100);
      ASSERT_TRUE(p.push(t));
    }
    ASSERT_TRUE(p.end_of_stream());
    EXPECT_EQ(p.state(), ParserState::ExpectStart);
  }
}

}  // namespace
