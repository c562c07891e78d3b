// The o200k tokenizer against the npm-tiktoken vectors (each entry is its own test), the file
// loaders (tiktoken and Hugging Face tokenizer.json give the same ids), special tokens and
// incremental decoding.
#include <gtest/gtest.h>

#include <filesystem>

#include "runtime/harmony/tokenizer.hpp"
#include "tests/harmony/vectors.hpp"

using namespace ossa::harmony;
using ossa::test::load_json;

namespace {

const nlohmann::ordered_json& vectors() {
  static const auto v = load_json("tokenizer/vectors.json");
  return v;
}

std::vector<std::string> vector_names() {
  std::vector<std::string> names;
  for (const auto& e : vectors()["vectors"]) names.push_back(e["name"].get<std::string>());
  return names;
}

const nlohmann::ordered_json& vector_named(const std::string& name) {
  for (const auto& e : vectors()["vectors"])
    if (e["name"] == name) return e;
  throw std::runtime_error("no vector " + name);
}

class TokenizerVector : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerVector, EncodesLikeTiktokenAndRoundTrips) {
  const auto& v = vector_named(GetParam());
  const std::string text = v["text"];
  const auto expected = v["ids"].get<std::vector<TokenId>>();
  const Tokenizer& tok = Tokenizer::builtin();
  const bool specials = v["special_tokens"] == "all";
  std::vector<TokenId> ids = specials ? tok.encode_with_specials(text) : tok.encode_ordinary(text);
  EXPECT_EQ(ids, expected);
  std::string bytes;
  ASSERT_TRUE(tok.decode_bytes(expected, bytes));
  EXPECT_EQ(bytes, text);
}

INSTANTIATE_TEST_SUITE_P(Vectors, TokenizerVector, ::testing::ValuesIn(vector_names()),
                         [](const auto& p) { return ossa::test::test_name(p.param); });

TEST(Tokenizer, BuiltinHasO200kRanksAndHarmonySpecials) {
  const Tokenizer& tok = Tokenizer::builtin();
  EXPECT_EQ(tok.n_ordinary(), 199998u);
  EXPECT_EQ(tok.encode_ordinary("hello world"), (std::vector<TokenId>{24912, 2375}));
  EXPECT_EQ(tok.special_id("<|start|>"), tokens::kStart);
  EXPECT_EQ(tok.special_id("<|call|>"), tokens::kCall);
  EXPECT_EQ(tok.special_id("<|endofprompt|>"), 200018u);
  EXPECT_EQ(tok.special_id("<|reserved_201088|>"), 201088u);
  EXPECT_FALSE(tok.special_id("<|reserved_201089|>"));
  EXPECT_EQ(tok.token_bytes(tokens::kMessage), "<|message|>");
  EXPECT_FALSE(tok.token_bytes(201089));
  // Specials are text unless allowed.
  EXPECT_NE(tok.encode_ordinary("<|end|>"), (std::vector<TokenId>{tokens::kEnd}));
  std::vector<TokenId> expected = tok.encode_ordinary("<|");
  expected.push_back(tokens::kEnd);
  EXPECT_EQ(tok.encode_with_specials("<|<|end|>"), expected);
}

TEST(Tokenizer, LongPiecesMatchTiktoken) {
  const auto v = load_json("tokenizer/long_pieces.json");
  for (const auto& e : v["vectors"]) {
    const std::string text = e["text"];
    EXPECT_EQ(Tokenizer::builtin().encode_ordinary(text), e["ids"].get<std::vector<TokenId>>())
        << text.substr(0, 40);
  }
  // A hostile run of one letter stays cheap (the linear-scan merge would be quadratic).
  const std::string run(200000, 'a');
  std::string back;
  ASSERT_TRUE(Tokenizer::builtin().decode_bytes(Tokenizer::builtin().encode_ordinary(run), back));
  EXPECT_EQ(back, run);
}

TEST(Tokenizer, InvalidUtf8IsEncodedByteWiseAndRoundTrips) {
  const Tokenizer& tok = Tokenizer::builtin();
  const std::string text = std::string("ab\xff\xfe") + "cd\xe2\x82" + " x\xf0\x9f";
  auto ids = tok.encode_ordinary(text);
  std::string bytes;
  ASSERT_TRUE(tok.decode_bytes(ids, bytes));
  EXPECT_EQ(bytes, text);
  EXPECT_EQ(tok.decode_lossy(ids), "ab\xEF\xBF\xBD\xEF\xBF\xBD" "cd\xEF\xBF\xBD x\xEF\xBF\xBD");
}

TEST(Tokenizer, IncrementalDecoderHoldsIncompleteUtf8) {
  const Tokenizer& tok = Tokenizer::builtin();
  // "Hi 💖 there": the emoji's bytes are split across two tokens.
  IncrementalDecoder dec(tok);
  std::vector<std::string> pieces;
  for (TokenId id : {12194u, 74580u, 244u, 1354u}) pieces.emplace_back(dec.push(id));
  EXPECT_EQ(pieces, (std::vector<std::string>{"Hi", " ", "\xF0\x9F\x92\x96", " there"}));
  EXPECT_FALSE(dec.has_pending());
  EXPECT_EQ(dec.push(74580), " ");  // " \xF0\x9F\x92" : the space, then 3 held bytes
  EXPECT_TRUE(dec.has_pending());
  EXPECT_EQ(dec.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(dec.push(999999999), "\xEF\xBF\xBD");
}

TEST(Tokenizer, LoadsTiktokenFileLikeBuiltin) {
  auto tok = Tokenizer::load_file(OSSA_HARMONY_RANKS_FILE);
  ASSERT_TRUE(tok) << tok.error();
  const std::string text = vector_named("python_code")["text"];
  EXPECT_EQ((*tok)->encode_ordinary(text), Tokenizer::builtin().encode_ordinary(text));
  // Lines in any order give the same ranks.
  std::string file = ossa::test::read_file(OSSA_HARMONY_RANKS_FILE), reversed;
  std::vector<std::string_view> lines;
  for (size_t pos = 0, eol; pos < file.size(); pos = eol + 1) {
    eol = file.find('\n', pos);
    lines.emplace_back(file.data() + pos, eol - pos + 1);
  }
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) reversed += *it;
  auto rev = Tokenizer::from_tiktoken(reversed);
  ASSERT_TRUE(rev) << rev.error();
  EXPECT_EQ((*rev)->encode_ordinary(text), Tokenizer::builtin().encode_ordinary(text));
}

TEST(Tokenizer, RejectsMalformedRankFiles) {
  EXPECT_FALSE(Tokenizer::from_tiktoken(""));
  EXPECT_FALSE(Tokenizer::from_tiktoken("not base64!! 0\n"));
  EXPECT_FALSE(Tokenizer::from_tiktoken("YQ== x\n"));
  EXPECT_FALSE(Tokenizer::from_tiktoken("YQ== 0\nYQ== 1\n"));  // duplicate bytes
  EXPECT_FALSE(Tokenizer::from_tiktoken("YQ== 0\n"));          // bytes without ranks
  EXPECT_FALSE(Tokenizer::load_file("/nonexistent/ranks.tiktoken"));
  EXPECT_FALSE(Tokenizer::from_hf_json("{"));
  EXPECT_FALSE(Tokenizer::from_hf_json(R"({"model":{"vocab":{"a":"x"}}})"));
}

// GPT-2's byte -> code point mapping, written independently of the loader's inverse.
std::string hf_token_string(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) {
    uint32_t cp = b;
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    if (!printable) {
      uint32_t n = 0;
      for (uint32_t x = 0; x < b; ++x)
        if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174)) ++n;
      cp = 256 + n;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

TEST(Tokenizer, LoadsHuggingFaceTokenizerJsonWithSameIds) {
  const Tokenizer& ref = Tokenizer::builtin();
  nlohmann::json vocab = nlohmann::json::object();
  for (TokenId id = 0; id < ref.n_ordinary(); ++id)
    vocab[hf_token_string(*ref.token_bytes(id))] = id;
  nlohmann::json added = nlohmann::json::array();
  for (TokenId id : {tokens::kStartOfText, tokens::kStart, tokens::kCall, 200018u, 201087u})
    added.push_back({{"id", id}, {"content", std::string(*ref.token_bytes(id))}, {"special", true}});
  nlohmann::json doc = {{"version", "1.0"}, {"added_tokens", added},
                        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}}};
  const auto path = std::filesystem::temp_directory_path() / "ossa_harmony_test_tokenizer.json";
  {
    std::ofstream out(path);
    out << doc.dump();
  }
  auto tok = Tokenizer::load_file(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(tok) << tok.error();
  EXPECT_EQ((*tok)->n_ordinary(), ref.n_ordinary());
  for (const auto& v : vectors()["vectors"]) {
    const std::string text = v["text"];
    EXPECT_EQ((*tok)->encode_with_specials(text), ref.encode_with_specials(text)) << v["name"];
  }
  // A tokenizer.json that gives a special id another meaning is refused.
  doc["added_tokens"] = nlohmann::json::array({{{"id", 200006}, {"content", "<|end|>"}}});
  EXPECT_FALSE(Tokenizer::from_hf_json(doc.dump()));
}

}  // namespace
