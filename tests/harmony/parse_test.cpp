// Every parse vector (tests/data/harmony/cases/parse_*.json) is its own test: fed one token at a
// time, the parser in the vector's mode reproduces the reference's state after every token, its
// messages and its error.
#include <gtest/gtest.h>

#include "runtime/harmony/stream_parser.hpp"
#include "tests/harmony/vectors.hpp"

using namespace ossa::harmony;

namespace {

Json opt_json(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

ParserOptions options_of(const Json& v, ParserMode mode) {
  ParserOptions o;
  if (v["initial_role"].is_string()) o.initial_role = parse_role(v["initial_role"].get<std::string>());
  o.mode = mode;
  return o;
}

// Messages compared as plain JSON (key order is irrelevant).
nlohmann::json messages_json(const std::vector<Message>& ms) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : ms) out.push_back(nlohmann::json::parse(to_json(m).dump()));
  return out;
}

class ParseVector : public ::testing::TestWithParam<std::string> {};

TEST_P(ParseVector, MatchesReferenceTokenByToken) {
  const auto v = ossa::test::load_json("harmony/cases/" + GetParam());
  SCOPED_TRACE(v.value("description", ""));
  const ParserMode mode = v["strict"].get<bool>() ? ParserMode::Strict : ParserMode::NonStrict;
  StreamParser p(Tokenizer::builtin(), options_of(v, mode));
  const auto tokens = v["input_tokens"].get<std::vector<TokenId>>();
  const Json& trace = v["trace"];
  bool failed = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    ASSERT_LT(i, trace.size());
    const Json& t = trace[i];
    SCOPED_TRACE("token " + std::to_string(i) + " = " + std::to_string(tokens[i]));
    if (!p.push(tokens[i])) {
      ASSERT_TRUE(t.contains("error")) << "unexpected error: " << *p.error();
      EXPECT_EQ(*p.error(), t["error"].get<std::string>());
      EXPECT_EQ(i + 1, trace.size());
      failed = true;
      break;
    }
    ASSERT_FALSE(t.contains("error")) << "expected error " << t["error"];
    EXPECT_EQ(to_string(p.state()), t["state"].get<std::string>());
    auto role = p.current_role();
    EXPECT_EQ(role ? Json(std::string(to_string(*role))) : Json(nullptr), t["role"]);
    EXPECT_EQ(opt_json(p.current_channel()), t["channel"]);
    EXPECT_EQ(opt_json(p.current_recipient()), t["recipient"]);
    EXPECT_EQ(opt_json(p.current_content_type()), t["content_type"]);
    EXPECT_EQ(opt_json(p.last_content_delta()), t["delta"]);
    EXPECT_EQ(p.current_content(), t["content"].get<std::string>());
    EXPECT_EQ(p.messages().size(), t["n_messages"].get<size_t>());
  }
  if (!failed && v["process_eos_at_end"].get<bool>()) failed = !p.end_of_stream();
  if (v["expected_error"].is_null()) {
    EXPECT_FALSE(p.error()) << *p.error();
  } else {
    ASSERT_TRUE(p.error());
    EXPECT_EQ(*p.error(), v["expected_error"].get<std::string>());
  }
  EXPECT_EQ(messages_json(p.messages()), nlohmann::json::parse(v["expected_messages"].dump()));
}

INSTANTIATE_TEST_SUITE_P(Cases, ParseVector,
                         ::testing::ValuesIn(ossa::test::case_files("harmony/cases", "parse_")),
                         [](const auto& p) { return ossa::test::test_name(p.param); });

// On well-formed streams the tolerant parser gives the reference's messages, so the runtime loses
// nothing by using it. (Vectors of reference quirks and errors are excluded by name.)
class TolerantOnValidVector : public ParseVector {};

TEST_P(TolerantOnValidVector, AgreesWithReference) {
  const auto v = ossa::test::load_json("harmony/cases/" + GetParam());
  StreamParser p(Tokenizer::builtin(), options_of(v, ParserMode::Tolerant));
  std::string streamed;
  for (TokenId t : v["input_tokens"].get<std::vector<TokenId>>()) {
    p.push(t);
    for (const auto& e : p.events())
      if (e.kind == ParserEvent::Kind::ContentDelta) streamed += e.text;
  }
  if (v["process_eos_at_end"].get<bool>()) p.end_of_stream();
  nlohmann::json expected = nlohmann::json::parse(v["expected_messages"].dump());
  // A last message without its stop token is broken in tolerant mode: compare the rest.
  if (!p.issues().empty()) {
    ASSERT_EQ(p.issues().size(), 1u);
    EXPECT_EQ(p.messages().size() + 1, expected.size());
    expected.erase(expected.size() - 1);
  }
  EXPECT_EQ(messages_json(p.messages()), expected);
  std::string all_content;
  for (const auto& m : p.messages()) all_content += m.text_content();
  if (p.issues().empty()) {
    EXPECT_EQ(streamed, all_content);
  }
}

std::vector<std::string> well_formed_cases() {
  std::vector<std::string> out;
  for (const auto& f : ossa::test::case_files("harmony/cases", "parse_")) {
    if (f.find("quirk") != std::string::npos || f.find("nonstrict") != std::string::npos) continue;
    if (!ossa::test::load_json("harmony/cases/" + f)["expected_error"].is_null()) continue;
    out.push_back(f);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Cases, TolerantOnValidVector, ::testing::ValuesIn(well_formed_cases()),
                         [](const auto& p) { return ossa::test::test_name(p.param); });

}  // namespace
