#pragma once
// The o200k_harmony tokenizer: byte-level BPE over the o200k_base ranks plus the harmony
// special tokens (ids 199998..201088).
//
//   const Tokenizer& tok = Tokenizer::builtin();          // ranks compiled into the binary
//   std::vector<TokenId> ids = tok.encode_ordinary("hello world");   // {24912, 2375}
//   std::string text = tok.decode_lossy(ids);
//
// A Tokenizer is immutable after loading and safe to share between threads.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/harmony/result.hpp"

namespace ossa::harmony {

using TokenId = uint32_t;

// Named special tokens of o200k_harmony.
namespace tokens {
inline constexpr TokenId kStartOfText = 199998;
inline constexpr TokenId kEndOfText = 199999;
inline constexpr TokenId kReturn = 200002;
inline constexpr TokenId kConstrain = 200003;
inline constexpr TokenId kChannel = 200005;
inline constexpr TokenId kStart = 200006;
inline constexpr TokenId kEnd = 200007;
inline constexpr TokenId kMessage = 200008;
inline constexpr TokenId kCall = 200012;
// Every id in [kFirstSpecial, kLastSpecial] is a special token; unnamed ones are
// <|reserved_N|> (N = id). 200018 also answers to <|endofprompt|> when encoding.
inline constexpr TokenId kFirstSpecial = 199998;
inline constexpr TokenId kLastSpecial = 201088;
// Rows of the model's embedding: ids the model can produce are < kModelVocabSize.
inline constexpr TokenId kModelVocabSize = 201088;
// Tokens that end a message (<|return|>, <|end|>, <|call|>).
inline constexpr bool is_stop(TokenId id) { return id == kReturn || id == kEnd || id == kCall; }
}  // namespace tokens

class Tokenizer {
 public:
  // The o200k_base ranks built into the binary (parsed on first use; thread-safe).
  static const Tokenizer& builtin();
  // A `.tiktoken` rank file (`base64(bytes) SP rank LF` lines) or the Hugging Face
  // `tokenizer.json` of the gpt-oss checkpoints (chosen by the `.json` extension). Both give the
  // same ids.
  static Result<std::shared_ptr<const Tokenizer>> load_file(const std::string& path);
  static Result<std::shared_ptr<const Tokenizer>> from_tiktoken(std::string_view text);
  static Result<std::shared_ptr<const Tokenizer>> from_hf_json(std::string_view json_text);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Ordinary encoding: special-token text is plain text. Appends to `out`.
  void encode_ordinary(std::string_view text, std::vector<TokenId>& out) const;
  std::vector<TokenId> encode_ordinary(std::string_view text) const;
  // Like encode_ordinary, but every special token's text (e.g. "<|start|>",
  // "<|reserved_200013|>") becomes its id.
  void encode_with_specials(std::string_view text, std::vector<TokenId>& out) const;
  std::vector<TokenId> encode_with_specials(std::string_view text) const;

  // The bytes of one token: an ordinary token's bytes, or a special token's text.
  // nullopt for an id outside the vocabulary.
  std::optional<std::string_view> token_bytes(TokenId id) const;
  static bool is_special(TokenId id) {
    return id >= tokens::kFirstSpecial && id <= tokens::kLastSpecial;
  }
  // Id of a special token's text ("<|call|>"), nullopt if there is none.
  std::optional<TokenId> special_id(std::string_view text) const;
  // Number of ordinary (BPE) tokens, 199998 for o200k_base.
  size_t n_ordinary() const;

  // Concatenated bytes of the tokens; false (and `out` unspecified) if an id is unknown.
  bool decode_bytes(std::span<const TokenId> ids, std::string& out) const;
  // Text of the tokens; invalid UTF-8 and unknown ids become U+FFFD.
  std::string decode_lossy(std::span<const TokenId> ids) const;

  struct Impl;

 private:
  friend struct TokenizerFactory;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Turns a stream of token ids into text, holding back the bytes of an incomplete UTF-8
// sequence until the token that completes it arrives.
class IncrementalDecoder {
 public:
  explicit IncrementalDecoder(const Tokenizer& tokenizer) : tok_(&tokenizer) {}
  // Text completed by this token (possibly empty). Invalid sequences and unknown ids become
  // U+FFFD. The view is valid until the next call.
  std::string_view push(TokenId id);
  // Whatever is still held, as U+FFFD (empty when nothing is held); resets.
  std::string flush();
  bool has_pending() const { return !pending_.empty(); }

 private:
  const Tokenizer* tok_;
  std::string pending_;
  std::string out_;
};

// Parses a JSON array of token ids ("[200006, 173781]"); ids must be integers in
// [0, kLastSpecial].
Result<std::vector<TokenId>> token_ids_from_json(std::string_view json_text);

// UTF-8 helpers shared by the decoder and the parser.
namespace utf8 {
// Appends the longest valid prefix of `bytes` to `out`, replacing each invalid sequence with
// U+FFFD; returns how many bytes were consumed. An incomplete sequence at the end is left
// unconsumed unless `final` is set (then it becomes U+FFFD too).
size_t append_valid(std::string_view bytes, std::string& out, bool final);
// Whole string, lossily.
std::string lossy(std::string_view bytes);
bool is_valid(std::string_view bytes);
}  // namespace utf8

}  // namespace ossa::harmony
