#pragma once
// Conversation -> o200k_harmony token ids, token-for-token identical to OpenAI's harmony library
// (each text piece is encoded separately; text never produces special tokens).
//
//   Renderer r(Tokenizer::builtin());
//   auto prompt = r.render_for_completion(conv, Role::Assistant, {.auto_drop_analysis = true});
//   if (!prompt) report(prompt.error());
#include <string>
#include <vector>

#include "runtime/harmony/conversation.hpp"
#include "runtime/harmony/result.hpp"
#include "runtime/harmony/tokenizer.hpp"

namespace ossa::harmony {

struct RenderConfig {
  // Omit analysis messages that come before the first final message once the last assistant
  // message is on channel final (the reference's rule; false = keep everything).
  bool auto_drop_analysis = false;
};

class Renderer {
 public:
  explicit Renderer(const Tokenizer& tokenizer) : tok_(&tokenizer) {}

  // The messages, concatenated.
  Result<std::vector<TokenId>> render_conversation(const Conversation& conv,
                                                   const RenderConfig& config = {}) const;
  // The prompt: messages + <|start|> + next_role (the model writes the rest of the header).
  Result<std::vector<TokenId>> render_for_completion(const Conversation& conv, Role next_role,
                                                     const RenderConfig& config = {}) const;
  // Like render_conversation, but a trailing assistant final message ends in <|return|>.
  Result<std::vector<TokenId>> render_for_training(const Conversation& conv,
                                                   const RenderConfig& config = {}) const;
  // One message, appended to `out`. `has_function_tools` adds the "Calls to these tools must
  // go to the commentary channel" line to a system message.
  Result<bool> render_message(const Message& message, bool has_function_tools,
                              std::vector<TokenId>& out) const;

  const Tokenizer& tokenizer() const { return *tok_; }

 private:
  const Tokenizer* tok_;
};

// The text bodies, exposed for tools that show them and for tests.
std::string render_system_body(const SystemContent& content, bool has_function_tools);
std::string render_developer_body(const DeveloperContent& content);
// "# Tools\n\n## functions\n\nnamespace functions {..." (empty string for no namespaces).
std::string render_tools_section(const ToolNamespaces& namespaces);
// True iff some developer message declares a non-empty "functions" namespace.
bool has_function_tools(const Conversation& conv);

}  // namespace ossa::harmony
