// `ossa generate [--model DIR] --tokens IDS | --prompt TEXT -n N [--temperature T --seed S]`: new
// token ids (and, for --prompt, their text) as JSON.
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine/generate.hpp"
#include "engine/model.hpp"
#include "engine/session.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/cli/load_model.hpp"
#include "runtime/cli/token_ids.hpp"
#include "runtime/harmony/tokenizer.hpp"
#include "runtime/json_output.hpp"

namespace {
struct Options {
  std::string model;
  std::string tokens;
  std::string prompt;
  std::size_t n = 16;
  ossa::engine::SamplingParams sampling;
  std::vector<std::int32_t> stop;
  unsigned threads = 0;
  std::string weights_q8;  // --weights-q8
  std::string device;      // --device
};

ossa::cli::Run setup(CLI::App& cmd) {
  auto opts = std::make_shared<Options>();
  auto stop_text = std::make_shared<std::string>();
  cmd.add_option("--model", opts->model, "Checkpoint folder (default: $OSSA_MODEL, then the demo model)");
  auto* tokens_opt = cmd.add_option("--tokens", opts->tokens, "Comma-separated prompt token ids");
  auto* prompt_opt = cmd.add_option("--prompt", opts->prompt,
                                "Prompt text, encoded with the built-in tokenizer (harmony special "
                                "tokens such as <|start|> included)");
  tokens_opt->excludes(prompt_opt);
  cmd.add_option("-n,--max-tokens", opts->n, "Most new tokens, 1..1048576")->check(CLI::Range(1.0, 1048576.0));
  cmd.add_option("--temperature", opts->sampling.temperature, "0 = greedy")->check(CLI::Range(0.0, 100.0));
  cmd.add_option("--top-p", opts->sampling.top_p, "Nucleus mass")->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--top-k", opts->sampling.top_k, "Keep the k most likely (0 = all)")->check(CLI::NonNegativeNumber);
  cmd.add_option("--seed", opts->sampling.seed, "Random seed, 0..2^64-1")->check(CLI::NonNegativeNumber);
  cmd.add_option("--stop", *stop_text, "Comma-separated stop token ids");
  cmd.add_option("--threads", opts->threads, "Compute threads, 0..4096 (0 = the usable cores)")->check(CLI::Range(0.0, 4096.0));
  ossa::cli::add_weights_q8_option(cmd, opts->weights_q8);
  ossa::cli::add_device_option(cmd, opts->device);
  return [opts, stop_text] {
    const auto& tokenizer = ossa::harmony::Tokenizer::builtin();
    std::vector<std::int32_t> prompt;
    if (!opts->prompt.empty()) {
      for (auto id : tokenizer.encode_with_specials(opts->prompt)) prompt.push_back(static_cast<std::int32_t>(id));
    } else {
      prompt = ossa::cli::parse_token_ids(opts->tokens, "--tokens");
    }
    if (prompt.empty()) throw ossa::cli::UsageError("give --tokens IDS or --prompt TEXT (not empty)");
    auto stop = ossa::cli::parse_token_ids(*stop_text, "--stop");
    const auto device = ossa::cli::device(opts->device);
    auto model = ossa::cli::load_model(ossa::cli::model_dir(opts->model), opts->threads, 0,
                                       ossa::cli::weights_q8(opts->weights_q8), device);
    ossa::engine::Session session(model);
    session.append(prompt);
    ossa::engine::Sampler sampler(opts->sampling);
    auto r = ossa::engine::generate(session, sampler, opts->n, stop);
    nlohmann::json out = {{"tokens", r.tokens}, {"stopped", r.stopped}};
    if (!opts->prompt.empty()) {
      // The text of what was generated; a token outside the tokenizer's vocabulary (a model
      // with a smaller one) has none, and the whole text is then left out.
      std::string text;
      bool ok = true;
      for (auto id : r.tokens) {
        auto b = tokenizer.token_bytes(static_cast<ossa::harmony::TokenId>(id));
        if (!b) { ok = false; break; }
        text += *b;
      }
      if (ok) out["text"] = text;
    }
    ossa::out::print_json(out);
    return 0;
  };
}
}  // namespace

OSSA_CLI_COMMAND(generate, "Generate token ids after a prompt and print them as JSON", setup);
