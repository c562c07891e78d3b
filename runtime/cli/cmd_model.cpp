// `ossa model info [DIR]`, `ossa model list` and `ossa model synth --preset P --out DIR [--seed N]`.
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/model.hpp"
#include "engine/synth.hpp"
#include "runtime/cli/command.hpp"
#include "runtime/cli/load_model.hpp"
#include "runtime/config.hpp"
#include "runtime/json_output.hpp"
#include "runtime/model_locations.hpp"

namespace {
struct Options {
  std::string dir;
  std::string config_file;
  std::string preset;
  std::string out;
  std::uint64_t seed = 1;
};

nlohmann::json config_json(const ossa::engine::ModelConfig& c) {
  nlohmann::json sliding = nlohmann::json::array();
  for (std::size_t i = 0; i < c.sliding.size(); ++i) {
    if (c.sliding[i]) sliding.push_back(i);
  }
  return {{"num_hidden_layers", c.num_layers}, {"num_experts", c.num_experts},
          {"experts_per_token", c.experts_per_token}, {"vocab_size", c.vocab_size},
          {"hidden_size", c.hidden_size}, {"intermediate_size", c.intermediate_size},
          {"swiglu_limit", c.swiglu_limit}, {"head_dim", c.head_dim},
          {"num_attention_heads", c.num_heads}, {"num_key_value_heads", c.num_kv_heads},
          {"sliding_window", c.sliding_window}, {"sliding_layers", sliding},
          {"initial_context_length", c.initial_context_length}, {"rope_theta", c.rope_theta},
          {"rope_scaling_factor", c.rope_scaling_factor}, {"rope_ntk_alpha", c.rope_ntk_alpha},
          {"rope_ntk_beta", c.rope_ntk_beta}, {"rms_norm_eps", c.rms_norm_eps},
          {"context_length", c.context_length()}};
}

ossa::cli::Run setup(CLI::App& cmd) {
  auto opts = std::make_shared<Options>();
  cmd.require_subcommand(1);
  auto* info = cmd.add_subcommand("info", "Validate a checkpoint folder and print its layout, config and sizes");
  info->add_option("dir", opts->dir, "Checkpoint folder (default: $OSSA_MODEL, then the demo model)");
  auto* list = cmd.add_subcommand(
      "list", "The checkpoints found in the usual places, with their size and layout (JSON)");
  list->add_option("--config", opts->config_file,
                   "Configuration file whose `model` is listed (default ~/.config/ossa/config.toml)");
  list->footer(
      "Looks at: the configuration's `model`, $OSSA_MODEL, demo-model/ next to the binary, the "
      "folders of ~/.cache/ossa/models ($XDG_CACHE_HOME), and a Hugging Face cache ($HF_HUB_CACHE, "
      "$HF_HOME/hub or ~/.cache/huggingface/hub). A folder that cannot be loaded is listed with "
      "its error.");
  auto* synth = cmd.add_subcommand("synth", "Write a random checkpoint with real shapes (original layout)");
  synth->add_option("--preset", opts->preset, "tiny, tiny-harmony (tiny over the full harmony vocabulary, runs `ossa run`), 20b or 120b")
      ->required()
      ->check(CLI::IsMember({"tiny", "tiny-harmony", "20b", "120b"}));
  synth->add_option("--out", opts->out, "Output folder")->required();
  synth->add_option("--seed", opts->seed, "Random seed");
  return [opts, info, list, synth] {
    if (list->parsed()) {
      std::string configured;
      try {
        configured = ossa::runtime::load_config(opts->config_file).model;
      } catch (const ossa::runtime::ConfigError& e) {
        throw ossa::cli::UsageError(e.what());
      }
      nlohmann::json models = nlohmann::json::array();
      for (const auto& m : ossa::runtime::find_models(configured)) {
        nlohmann::json j = {{"path", m.path}, {"source", m.source}};
        if (m.error.empty()) {
          j["layout"] = m.layout;
          j["bytes"] = m.bytes;
          j["gib"] = static_cast<double>(m.bytes) / (1024.0 * 1024 * 1024);
          j["layers"] = m.layers;
          j["experts"] = m.experts;
        } else {
          j["error"] = m.error;
        }
        models.push_back(std::move(j));
      }
      ossa::out::print_json({{"models", models}});
      return 0;
    }
    if (info->parsed()) {
      opts->dir = ossa::cli::model_dir(opts->dir);
      auto t0 = std::chrono::steady_clock::now();
      auto model = ossa::engine::Model::load(opts->dir, {1});
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      nlohmann::json out = {{"dir", opts->dir},
                            {"layout", ossa::engine::layout_name(model->layout())},
                            {"config", config_json(model->config())},
                            {"weight_bytes", model->weight_bytes()},
                            {"bytes_read_per_token", model->bytes_read_per_token()},
                            {"load_ms", ms}};
      ossa::out::print_json(out);
      return 0;
    }
    if (synth->parsed()) {
      auto cfg = ossa::engine::preset_config(opts->preset);
      auto t0 = std::chrono::steady_clock::now();
      auto bytes = ossa::engine::write_synthetic_checkpoint(cfg, opts->out, opts->seed);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ossa::out::print_json({{"out", opts->out}, {"preset", opts->preset}, {"seed", opts->seed},
                             {"bytes", bytes}, {"seconds", s}});
      return 0;
    }
    throw ossa::cli::UsageError("model: choose a subcommand (info, list, synth)");
  };
}
}  // namespace

OSSA_CLI_COMMAND(model, "Inspect a checkpoint folder, list the ones found, or write a synthetic one", setup);
