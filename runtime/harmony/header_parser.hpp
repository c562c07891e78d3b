#pragma once
// Internal: parsing the decoded text of a message header ("assistant to=functions.f
// <|channel|>commentary <|constrain|>json") into author, recipient, channel and content type.
#include <optional>
#include <string>

#include "runtime/harmony/conversation.hpp"
#include "runtime/harmony/result.hpp"

namespace ossa::harmony {

struct ParsedHeader {
  Message header;  // content empty
  // Reference: header words left over (an error in a header ended by <|message|>; the content
  // of a message whose <|message|> is missing). Tolerant: text taken as content.
  std::optional<std::string> rest;
};

// The reference library's rules exactly (SPEC §11). `parse_recipient` is false for the
// non-strict recovery of a header without <|message|>: then everything after role and channel
// is `rest`.
Result<ParsedHeader> parse_header_reference(std::string text, std::optional<Role> role,
                                            bool parse_recipient);

// Tolerant rules: recipient anywhere, `<|constrain|>` glued, spaced, missing or without a type,
// empty channel, author names (`user:alice`). `saw_message` is false when a stop token ended
// the header: then the first word that is not a header field starts the content (`rest`).
Result<ParsedHeader> parse_header_tolerant(std::string text, std::optional<Role> role,
                                           bool saw_message);

// Rust's `{:?}` of a string (the reference's error texts quote header leftovers with it).
std::string rust_debug_string(const std::string& s);

}  // namespace ossa::harmony
