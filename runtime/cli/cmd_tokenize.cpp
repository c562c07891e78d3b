// `ossa tokenize [--tokenizer FILE] [--allow-special] [--decode] [TEXT]`: the text (argument, or
// stdin) -> JSON array of o200k_harmony token ids on stdout; with --decode, a JSON id array -> the
// text.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "runtime/cli/command.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/json_output.hpp"

namespace {
using ossa::harmony::TokenId;
using ossa::harmony::Tokenizer;

// The built-in ranks unless a file is named.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& path) {
  if (path.empty()) return {std::shared_ptr<const Tokenizer>(), &Tokenizer::builtin()};
  auto r = Tokenizer::load_file(path);
  if (!r) throw std::runtime_error(r.error());
  return *r;
}

struct Options {
  std::string tokenizer;
  bool allow_special = false;
  bool decode = false;
  std::optional<std::string> text;
};

ossa::cli::Run setup(CLI::App& cmd) {
  auto opts = std::make_shared<Options>();
  cmd.add_option("--tokenizer", opts->tokenizer,
                 "o200k ranks (.tiktoken) or Hugging Face tokenizer.json (default: built in)");
  cmd.add_flag("--allow-special", opts->allow_special,
               "Encode special-token text such as <|start|> as the special token");
  cmd.add_flag("--decode", opts->decode,
               "Read a JSON id array and print its text instead: the raw bytes, not JSON, so "
               "that text -> ids -> text round-trips exactly");
  cmd.add_option_function<std::string>(
      "text", [opts](const std::string& v) { opts->text = v; },
      "The text (with --decode: the JSON id array); read from stdin when not given");
  cmd.footer("Output: a JSON array of ids; with --decode the decoded text as raw bytes (the one "
             "ossa output that is not JSON).");
  return [opts] {
    auto tok = load_tokenizer(opts->tokenizer);
    const std::string input =
        opts->text ? *opts->text : std::string(std::istreambuf_iterator<char>(std::cin), {});
    if (!opts->decode) {
      std::vector<TokenId> ids = opts->allow_special ? tok->encode_with_specials(input)
                                                     : tok->encode_ordinary(input);
      ossa::out::print_json(ids);
      return 0;
    }
    auto ids = ossa::harmony::token_ids_from_json(input);
    if (!ids) throw std::runtime_error(std::string(opts->text ? "text" : "stdin") + ": " + ids.error());
    std::string bytes;
    for (TokenId id : *ids) {
      auto b = tok->token_bytes(id);
      if (!b) throw std::runtime_error("token id " + std::to_string(id) + " is not in the vocabulary");
      bytes.append(*b);
    }
    // The exact bytes, so that text -> ids -> text round-trips even for invalid UTF-8.
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
      throw std::runtime_error("cannot write to stdout");
    return 0;
  };
}
}  // namespace

OSSA_CLI_COMMAND(tokenize, "Text <-> o200k_harmony token ids (argument or stdin to stdout)", setup);
