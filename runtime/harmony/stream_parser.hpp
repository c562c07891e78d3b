#pragma once
// Streaming harmony parser: fed the model's token ids one at a time, it tracks the message being
// written and emits events.
//
//   StreamParser p(Tokenizer::builtin(), {.initial_role = Role::Assistant,
//                                         .mode = ParserMode::Tolerant});
//   for (TokenId t : sampled) {
//     p.push(t);
//     for (const ParserEvent& e : p.events()) handle(e);   // events of this token only
//   }
//   p.end_of_stream();
//
// Modes:
//  * Strict / NonStrict reproduce OpenAI's reference parser exactly (messages, per-token state,
//    error texts). The first error is fatal: error() is set and later tokens are ignored.
//    NonStrict only adds the reference's recovery of a first message without <|message|>.
//  * Tolerant is what the runtime uses on model output. It additionally accepts the recipient
//    in the role header or after the channel, `<|constrain|>` missing, glued to a neighbour or
//    without `json`, a missing <|message|> (header words up to the stop token; the rest is
//    content), doubled <|start|>, an empty channel, and author names (`user:alice`). A message
//    that cannot be recovered (unknown role, EOS or <|start|> before its stop token, stray
//    tokens before <|start|>) becomes an Error event carrying its raw text; completed messages
//    are kept and parsing resumes at the next <|start|>. It never enters a fatal state.
#include <optional>
#include <string>
#include <vector>

#include "runtime/harmony/conversation.hpp"
#include "runtime/harmony/tokenizer.hpp"

namespace ossa::harmony {

enum class ParserMode { Strict, NonStrict, Tolerant };

enum class ParserState { ExpectStart, Header, Content };
std::string_view to_string(ParserState state);  // "ExpectStart" | "Header" | "Content"

struct ParserOptions {
  // The role whose header the prompt already opened (`<|start|>assistant`); the parser then
  // starts in Header. Used for the first message only.
  std::optional<Role> initial_role;
  ParserMode mode = ParserMode::Strict;
};

struct ParserEvent {
  enum class Kind {
    MessageStarted,  // header parsed: `message` has role/name/channel/recipient/content_type
    ContentDelta,    // `text` was appended to the current message's content
    MessageDone,     // `message` is complete (one text item; stop token not included)
    Error,           // Tolerant: a broken message skipped; `text` = its raw text, `error` = why
  };
  Kind kind;
  Message message;    // MessageStarted, MessageDone (for Error: what was recovered, if any)
  std::string text;   // ContentDelta: the delta; Error: raw decoded text of the broken part
  std::string error;  // Error: description
  // Set on MessageDone: the token that ended it (<|end|>, <|call|>, <|return|>), or none at EOS.
  std::optional<TokenId> stop_token;
};

// A broken stretch of the stream skipped in Tolerant mode.
struct ParseIssue {
  std::string error;
  std::string raw_text;
};

class StreamParser {
 public:
  explicit StreamParser(const Tokenizer& tokenizer, ParserOptions options = {});

  // Feeds one token. Returns false once the parser is in a fatal error (Strict/NonStrict).
  bool push(TokenId token);
  // The end of the stream (the reference's process_eos).
  bool end_of_stream();
  // Events produced by the last push()/end_of_stream() call.
  const std::vector<ParserEvent>& events() const { return events_; }

  ParserState state() const { return state_; }
  // The reference's observable state after each token (see SPEC §11).
  std::optional<Role> current_role() const;
  const std::optional<std::string>& current_channel() const { return channel_; }
  const std::optional<std::string>& current_recipient() const { return recipient_; }
  const std::optional<std::string>& current_content_type() const { return content_type_; }
  // Text the last token added to the content; nullopt when it added none.
  const std::optional<std::string>& last_content_delta() const { return last_delta_; }
  const std::string& current_content() const { return content_; }

  const std::vector<Message>& messages() const { return messages_; }
  const std::vector<TokenId>& tokens() const { return tokens_; }
  // The fatal error (Strict/NonStrict), if any.
  const std::optional<std::string>& error() const { return error_; }
  // Broken parts skipped (Tolerant).
  const std::vector<ParseIssue>& issues() const { return issues_; }

 private:
  void fail(std::string message);
  void push_reference(TokenId token);
  void push_tolerant(TokenId token);
  void eos_reference();
  void eos_tolerant();
  void header_done_tolerant(bool saw_message, std::optional<TokenId> stop);
  void begin_content(Message header);
  void append_reference(TokenId token);
  void append_tolerant(TokenId token);
  void complete_message(std::optional<TokenId> stop);
  // Back to ExpectStart with no message in progress (after a message or a broken stretch).
  void reset_message();
  void broken(std::string why, Message partial = {});
  void start_header();
  std::string raw_text() const;

  const Tokenizer* tok_;
  ParserOptions opt_;
  ParserState state_ = ParserState::ExpectStart;
  std::optional<Role> initial_role_;  // cleared after the first header

  std::vector<TokenId> header_tokens_;
  std::vector<TokenId> message_tokens_;  // every token of the current message (Tolerant)
  Message current_;                      // header of the message in Content
  std::optional<std::string> channel_, recipient_, content_type_;
  std::optional<std::string> last_delta_;
  std::string content_;
  std::string pending_bytes_;         // UTF-8 not yet complete or not yet judged
  std::vector<TokenId> undecodable_;  // reference: ids without bytes, held (SPEC §11 quirk)
  bool skipping_ = false;             // Tolerant: discarding a broken message
  std::string skip_why_;

  std::vector<Message> messages_;
  std::vector<TokenId> tokens_;
  std::vector<ParserEvent> events_;
  std::vector<ParseIssue> issues_;
  std::optional<std::string> error_;
};

// Convenience: feed all tokens (then end_of_stream unless `eos` is false).
struct ParseResult {
  std::vector<Message> messages;
  std::optional<std::string> error;  // Strict/NonStrict fatal error
  std::vector<ParseIssue> issues;    // Tolerant
};
ParseResult parse_tokens(const Tokenizer& tokenizer, const std::vector<TokenId>& tokens,
                         ParserOptions options = {}, bool eos = true);

}  // namespace ossa::harmony
