#include "runtime/harmony/stream_parser.hpp"

#include "runtime/harmony/header_parser.hpp"
#include "runtime/harmony/utf8.hpp"

namespace ossa::harmony {

std::string_view to_string(ParserState state) {
  switch (state) {
    case ParserState::ExpectStart: return "ExpectStart";
    case ParserState::Header: return "Header";
    case ParserState::Content: return "Content";
  }
  return "ExpectStart";
}

StreamParser::StreamParser(const Tokenizer& tokenizer, ParserOptions options)
    : tok_(&tokenizer), opt_(options), initial_role_(options.initial_role) {
  if (initial_role_) state_ = ParserState::Header;
}

std::optional<Role> StreamParser::current_role() const {
  if (state_ == ParserState::Content) return current_.role;
  return initial_role_;
}

void StreamParser::fail(std::string message) {
  error_ = std::move(message);
}

bool StreamParser::push(TokenId token) {
  events_.clear();
  if (error_) return false;
  tokens_.push_back(token);
  last_delta_.reset();
  if (opt_.mode == ParserMode::Tolerant) push_tolerant(token);
  else push_reference(token);
  return !error_;
}

bool StreamParser::end_of_stream() {
  events_.clear();
  if (error_) return false;
  last_delta_.reset();
  if (opt_.mode == ParserMode::Tolerant) eos_tolerant();
  else eos_reference();
  return !error_;
}

void StreamParser::start_header() {
  state_ = ParserState::Header;
  header_tokens_.clear();
}

void StreamParser::begin_content(Message header) {
  current_ = std::move(header);
  channel_ = current_.channel;
  recipient_ = current_.recipient;
  content_type_ = current_.content_type;
  content_.clear();
  pending_bytes_.clear();
  undecodable_.clear();
  state_ = ParserState::Content;
  ParserEvent e{ParserEvent::Kind::MessageStarted, current_, {}, {}, std::nullopt};
  events_.push_back(std::move(e));
}

void StreamParser::complete_message(std::optional<TokenId> stop) {
  // Reference: held undecodable ids become one U+FFFD, pending bytes are decoded lossily.
  std::string tail;
  if (!undecodable_.empty()) tail += utf8::kReplacement;
  tail += utf8::lossy(pending_bytes_);
  if (!tail.empty() && opt_.mode == ParserMode::Tolerant) {
    events_.push_back({ParserEvent::Kind::ContentDelta, {}, tail, {}, std::nullopt});
  }
  content_ += tail;
  Message m = current_;
  m.content.assign(1, TextContent{content_});
  messages_.push_back(m);
  events_.push_back({ParserEvent::Kind::MessageDone, std::move(m), {}, {}, stop});
  reset_message();
}

void StreamParser::reset_message() {
  state_ = ParserState::ExpectStart;
  current_ = {};
  channel_.reset();
  recipient_.reset();
  content_type_.reset();
  content_.clear();
  pending_bytes_.clear();
  undecodable_.clear();
  message_tokens_.clear();
}

// ---------------------------------------------------------------------------------------------
// Reference modes (Strict / NonStrict): OpenAI's StreamableParser, observable state included.

void StreamParser::push_reference(TokenId token) {
  const bool strict = opt_.mode == ParserMode::Strict;
  switch (state_) {
    case ParserState::ExpectStart:
      if (token == tokens::kStart) start_header();
      else
        fail("Unexpected token " + std::to_string(token) + " while expecting start token " +
             std::to_string(tokens::kStart));
      return;
    case ParserState::Header: {
      if (token == tokens::kMessage) {
        std::string text;
        if (!tok_->decode_bytes(header_tokens_, text) || !utf8::is_valid(text))
          return fail("could not decode header");
        auto parsed = parse_header_reference(std::move(text), initial_role_, true);
        if (!parsed) return fail(parsed.error());
        if (parsed->rest)
          return fail("unexpected tokens remaining in message header: Some(" +
                      rust_debug_string(*parsed->rest) + ")");
        initial_role_.reset();
        begin_content(std::move(parsed->header));
        return;
      }
      if (!strict && tokens::is_stop(token)) {
        // The reference's recovery for a first message whose <|message|> is missing: the header
        // words become the content.
        if (initial_role_ && !header_tokens_.empty()) {
          std::string text;
          if (!tok_->decode_bytes(header_tokens_, text) || !utf8::is_valid(text))
            return fail("could not decode header");
          auto parsed = parse_header_reference(std::move(text), initial_role_, false);
          if (!parsed) return fail(parsed.error());
          Message m = parsed->header;
          m.content.assign(1, TextContent{parsed->rest.value_or("")});
          messages_.push_back(m);
          events_.push_back({ParserEvent::Kind::MessageStarted, parsed->header, {}, {}, std::nullopt});
          events_.push_back({ParserEvent::Kind::MessageDone, std::move(m), {}, {}, token});
        }
        state_ = ParserState::ExpectStart;
        initial_role_.reset();
        return;
      }
      header_tokens_.push_back(token);
      return;
    }
    case ParserState::Content:
      if (tokens::is_stop(token)) complete_message(token);
      else append_reference(token);
      return;
  }
}

void StreamParser::eos_reference() {
  switch (state_) {
    case ParserState::ExpectStart: return;
    case ParserState::Header:
      return fail("Unexpected EOS while waiting for message header to complete");
    case ParserState::Content: complete_message(std::nullopt); return;
  }
}

void StreamParser::append_reference(TokenId token) {
  undecodable_.push_back(token);
  std::string bytes;
  // Once an id without bytes is held, every later id is held with it (the reference re-decodes
  // the held run as a whole, which keeps failing).
  if (!tok_->decode_bytes(undecodable_, bytes)) return;
  undecodable_.clear();
  pending_bytes_ += bytes;
  const utf8::Check c = utf8::check(pending_bytes_);
  std::string delta = pending_bytes_.substr(0, c.valid_up_to);
  size_t consumed = c.valid_up_to;
  if (c.valid_up_to < pending_bytes_.size() && c.error_len > 0) {
    // One invalid sequence is replaced; what follows it waits for the next token.
    delta += utf8::kReplacement;
    consumed += c.error_len;
  }
  pending_bytes_.erase(0, consumed);
  if (!delta.empty()) {
    content_ += delta;
    events_.push_back({ParserEvent::Kind::ContentDelta, {}, delta, {}, std::nullopt});
    last_delta_ = std::move(delta);
  }
}

// ---------------------------------------------------------------------------------------------
// Tolerant mode.

std::string StreamParser::raw_text() const { return tok_->decode_lossy(message_tokens_); }

void StreamParser::broken(std::string why, Message partial) {
  if (opt_.mode != ParserMode::Tolerant) return fail(std::move(why));
  ParseIssue issue{why, raw_text()};
  ParserEvent e{ParserEvent::Kind::Error, std::move(partial), issue.raw_text, issue.error,
                std::nullopt};
  issues_.push_back(std::move(issue));
  events_.push_back(std::move(e));
  header_tokens_.clear();
  skipping_ = false;
  reset_message();
}

void StreamParser::push_tolerant(TokenId token) {
  const bool start = token == tokens::kStart;
  // A <|start|> always opens a new message: whatever was unfinished is reported as broken.
  if (start && (skipping_ || state_ == ParserState::Content ||
                (state_ == ParserState::ExpectStart && !message_tokens_.empty()))) {
    if (skipping_) broken(skip_why_);
    else if (state_ == ParserState::Content) {
      Message partial = current_;
      partial.content.assign(1, TextContent{content_ + utf8::lossy(pending_bytes_)});
      broken("message not terminated before the next <|start|>", std::move(partial));
    } else {
      broken("text outside any message");
    }
  }
  if (skipping_) {
    message_tokens_.push_back(token);
    if (tokens::is_stop(token)) broken(skip_why_);
    return;
  }
  switch (state_) {
    case ParserState::ExpectStart:
      message_tokens_.push_back(token);
      if (start) start_header();
      return;
    case ParserState::Header: {
      if (start) {
        // Doubled <|start|> (possibly after a bare role word): start the header again.
        std::string text = tok_->decode_lossy(header_tokens_);
        std::string trimmed;
        for (char c : text)
          if (c != ' ' && c != '\n') trimmed += c;
        if (trimmed.empty() || parse_role(trimmed)) {
          header_tokens_.clear();
          message_tokens_.assign(1, token);
          return;
        }
        broken("header interrupted by <|start|>");
        message_tokens_.assign(1, token);
        start_header();
        return;
      }
      message_tokens_.push_back(token);
      if (token == tokens::kMessage) return header_done_tolerant(true, std::nullopt);
      if (tokens::is_stop(token)) return header_done_tolerant(false, token);
      header_tokens_.push_back(token);
      return;
    }
    case ParserState::Content:
      message_tokens_.push_back(token);
      if (tokens::is_stop(token)) complete_message(token);
      else append_tolerant(token);
      return;
  }
}

void StreamParser::header_done_tolerant(bool saw_message, std::optional<TokenId> stop) {
  const std::optional<Role> role = initial_role_;
  initial_role_.reset();
  auto parsed = parse_header_tolerant(tok_->decode_lossy(header_tokens_), role, saw_message);
  header_tokens_.clear();
  if (!parsed) {
    if (saw_message) {
      // Skip the content of the broken message up to its stop token (or the next <|start|>).
      skipping_ = true;
      skip_why_ = parsed.error();
      return;
    }
    return broken(parsed.error());
  }
  begin_content(std::move(parsed->header));
  if (!saw_message) {
    // No <|message|>: the words after the header fields are the content.
    if (parsed->rest) {
      content_ = *parsed->rest;
      events_.push_back({ParserEvent::Kind::ContentDelta, {}, content_, {}, std::nullopt});
    }
    complete_message(stop);
  }
}

void StreamParser::append_tolerant(TokenId token) {
  auto bytes = tok_->token_bytes(token);
  std::string delta;
  if (!bytes) {
    // An id outside the vocabulary: one replacement character, and the message goes on.
    delta = utf8::lossy(pending_bytes_);
    pending_bytes_.clear();
    delta += utf8::kReplacement;
  } else {
    pending_bytes_ += *bytes;
    const size_t used = utf8::append_valid(pending_bytes_, delta, false);
    pending_bytes_.erase(0, used);
  }
  if (!delta.empty()) {
    content_ += delta;
    events_.push_back({ParserEvent::Kind::ContentDelta, {}, delta, {}, std::nullopt});
    last_delta_ = std::move(delta);
  }
}

void StreamParser::eos_tolerant() {
  if (skipping_) return broken(skip_why_);
  switch (state_) {
    case ParserState::ExpectStart:
      if (!message_tokens_.empty()) broken("text outside any message");
      return;
    case ParserState::Header:
      if (header_tokens_.empty() && message_tokens_.empty()) {
        initial_role_.reset();  // nothing was written after the prompt's header
        state_ = ParserState::ExpectStart;
        return;
      }
      return broken("stream ended inside a message header");
    case ParserState::Content: {
      Message partial = current_;
      partial.content.assign(1, TextContent{content_ + utf8::lossy(pending_bytes_)});
      return broken("stream ended before the message's stop token", std::move(partial));
    }
  }
}

ParseResult parse_tokens(const Tokenizer& tokenizer, const std::vector<TokenId>& tokens,
                         ParserOptions options, bool eos) {
  StreamParser p(tokenizer, options);
  for (TokenId t : tokens)
    if (!p.push(t)) break;
  if (eos && !p.error()) p.end_of_stream();
  return {p.messages(), p.error(), p.issues()};
}

}  // namespace ossa::harmony
