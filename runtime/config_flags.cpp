#include "runtime/config_flags.hpp"

#include <sstream>

#include "runtime/cli/command.hpp"

namespace ossa::runtime {
namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// CLI11 binds std::optional directly; these keep the flag text in the help uniform.
template <class T>
CLI::Option* opt(CLI::App& cmd, const char* name, std::optional<T>& slot, const char* help) {
  return cmd.add_option_function<T>(name, [&slot](const T& v) { slot = v; }, help);
}

}  // namespace

void ConfigFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--config", config_file,
                 "Configuration file (TOML; default ~/.config/ossa/config.toml)");
  opt(cmd, "--model", overrides.model, "Checkpoint folder (default: `model` in the file, $OSSA_MODEL, then the demo model)");
  opt(cmd, "--threads", overrides.threads, "Engine threads, 0..4096 (0 = all cores)");
  cmd.add_option_function<std::string>(
      "--weights-q8", [this](const std::string& v) { overrides.weights_q8 = split_list(v); },
      "Run these products in 8 bits, comma-separated: attention, embedding, unembedding (bf16 "
      "weights quantized at load), experts (int8 activations against the MXFP4 weights), all "
      "(default: none; see engine/README.md for the error it adds)");
  cmd.add_flag_callback("--map-weights", [this] { overrides.map_weights = true; }, kMapWeightsHelp);
  opt(cmd, "--reasoning", overrides.reasoning, "Reasoning effort: low|medium|high");
  opt(cmd, "--instructions", overrides.instructions, "Developer instructions for the model");
  opt(cmd, "--date", overrides.date, "Conversation start date, YYYY-MM-DD (default: today, UTC)");
  opt(cmd, "--workspace", overrides.workspace, "Folder the tools work in (default: .)");
  opt(cmd, "--approve", overrides.approve,
      "Tools that need approval: ask|all|none (ask on the terminal, allow all, deny all)");
  opt(cmd, "--max-tool-rounds", overrides.max_tool_rounds, "Most tool calls in one turn, 0..1048576");
  opt(cmd, "--max-tokens", overrides.max_tokens, "Most generated tokens in one turn, 1..1073741824");
  opt(cmd, "--wall-time", overrides.wall_time_s, "Most seconds for one turn, more than 0 and at most 604800 (7 days)");
  opt(cmd, "--tool-timeout", overrides.tool_timeout_s, "Most seconds for one tool call, more than 0 and at most 604800 (7 days)");
  opt(cmd, "--temperature", overrides.temperature, "Sampling temperature, 0..100 (0 = greedy)");
  // CLI11 reads "-1" into an unsigned as 2^64-1: refuse a sign before conversion.
  opt(cmd, "--seed", overrides.seed, "Sampling seed, 0..2^64-1 (0 = random)")->check(CLI::NonNegativeNumber);
  opt(cmd, "--transcript-dir", overrides.transcript_dir, "Folder of session transcripts");
  cmd.add_option_function<std::string>(
      "--tools", [this](const std::string& v) { overrides.tools = split_list(v); },
      "Enabled tools, comma-separated (python,browser,shell,apply_patch,functions.NAME...)");
  // One value per occurrence (repeatable), so positional arguments after it are not taken.
  cmd.add_option_function<std::vector<std::string>>(
         "--tools-dir",
         [this](const std::vector<std::string>& v) {
           overrides.tool_dirs.emplace();
           for (const auto& s : v)
             for (auto& d : split_list(s)) overrides.tool_dirs->push_back(std::move(d));
         },
         "Folders of tool definition files (comma-separated or repeated)")
      ->allow_extra_args(false);
  cmd.add_option_function<std::vector<std::string>>(
         "--allow",
         [this](const std::vector<std::string>& v) { overrides.network_allowlist = v; },
         "Network rule [scheme://]host[:port] for the HTTP tools and the browser (repeatable; "
         "replaces network.allowlist)")
      ->allow_extra_args(false);
  opt(cmd, "--search", overrides.search_backend,
      "Browser search backend: searxng:<URL> or local:<folder>");
}

Config ConfigFlags::effective() const {
  try {
    Config c = load_config(config_file);
    apply_overrides(c, overrides);
    return c;
  } catch (const ConfigError& e) {
    throw cli::UsageError(e.what());
  }
}

}  // namespace ossa::runtime
