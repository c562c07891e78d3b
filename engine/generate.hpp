#pragma once
// Token generation loop over a Session: sample, append, stop on a stop token or a length limit.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/sampler.hpp"
#include "engine/session.hpp"

namespace ossa::engine {

// gpt-oss stop sets (harmony): <|return|> 200002 and <|call|> 200012 end an assistant action;
// <|end|> 200007 ends any message; <|endoftext|> 199999.
inline constexpr std::int32_t kTokenReturn = 200002;
inline constexpr std::int32_t kTokenCall = 200012;
inline constexpr std::int32_t kTokenEnd = 200007;
inline constexpr std::int32_t kTokenEndOfText = 199999;

struct GenerateResult {
  std::vector<std::int32_t> tokens;  // the new tokens, a stop token included
  bool stopped = false;              // true if it ended on a stop token
};

// Called after each new token is appended; return false to stop early.
using TokenCallback = std::function<bool(std::int32_t token)>;

// Generates up to max_new_tokens after the session's current tokens (the session must hold at
// least one token). The stop token, when hit, is appended and returned.
GenerateResult generate(Session& session, Sampler& sampler, std::size_t max_new_tokens,
                        std::span<const std::int32_t> stop_tokens = {},
                        const TokenCallback& on_token = {});

}  // namespace ossa::engine
