// `ossa logits --model DIR --tokens 1,2,3 [--all-positions]`: fp32 next-token logits as JSON.
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine/model.hpp"
#include "engine/session.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/cli/load_model.hpp"
#include "runtime/cli/token_ids.hpp"
#include "runtime/json_output.hpp"

namespace {
struct Options {
  std::string model;
  std::string tokens;
  bool all_positions = false;
  unsigned threads = 0;
  std::string weights_q8;  // --weights-q8
  std::string device;      // --device
};

std::vector<std::int32_t> parse_tokens(const std::string& text) {
  auto out = ossa::cli::parse_token_ids(text, "--tokens");
  if (out.empty()) throw ossa::cli::UsageError("--tokens: give at least one token id");
  return out;
}

ossa::cli::Run setup(CLI::App& cmd) {
  auto opts = std::make_shared<Options>();
  cmd.add_option("--model", opts->model, "Checkpoint folder (default: $OSSA_MODEL, then the demo model)");
  cmd.add_option("--tokens", opts->tokens, "Comma-separated token ids")->required();
  cmd.add_flag("--all-positions", opts->all_positions, "Logits after every token, not only the last");
  cmd.add_option("--threads", opts->threads, "Compute threads, 0..4096 (0 = the usable cores)")->check(CLI::Range(0.0, 4096.0));
  ossa::cli::add_weights_q8_option(cmd, opts->weights_q8);
  ossa::cli::add_device_option(cmd, opts->device);
  return [opts] {
    auto tokens = parse_tokens(opts->tokens);
    const auto device = ossa::cli::device(opts->device);
    auto model = ossa::cli::load_model(ossa::cli::model_dir(opts->model), opts->threads, 0,
                                       ossa::cli::weights_q8(opts->weights_q8), device);
    ossa::engine::Session session(model);
    const auto V = static_cast<std::size_t>(model->config().vocab_size);
    nlohmann::json rows = nlohmann::json::array();
    nlohmann::json positions = nlohmann::json::array();
    if (opts->all_positions) {
      auto all = session.append_all_logits(tokens);
      for (std::size_t t = 0; t < tokens.size(); ++t) {
        rows.push_back(std::vector<float>(all.begin() + static_cast<std::ptrdiff_t>(t * V),
                                          all.begin() + static_cast<std::ptrdiff_t>((t + 1) * V)));
        positions.push_back(t);
      }
    } else {
      session.append(tokens);
      rows.push_back(std::vector<float>(session.logits().begin(), session.logits().end()));
      positions.push_back(tokens.size() - 1);
    }
    ossa::out::print_json({{"vocab_size", V}, {"positions", positions}, {"logits", rows}});
    return 0;
  };
}
}  // namespace

OSSA_CLI_COMMAND(logits, "Print fp32 next-token logits for a token sequence as JSON", setup);
