#include "runtime/default_model.hpp"

#include <cstdlib>
#include <system_error>

namespace ossa::runtime {

std::filesystem::path demo_model_dir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path() / "demo-model";
}

std::string choose_default_model(Config& cfg) {
  if (!cfg.model.empty()) return {};
  if (const char* env = std::getenv("OSSA_MODEL"); env && *env) {
    cfg.model = env;
    return {};
  }
  std::filesystem::path demo = demo_model_dir();
  std::error_code ec;
  if (demo.empty() || !std::filesystem::exists(demo / "config.json", ec)) return {};
  cfg.model = demo.string();
  std::string note =
      "no model configured: using the demo model (" + cfg.model +
      "), a tiny model trained on a few simple agent tasks; it is not a general assistant. For "
      "real work pass --model DIR, set `model` in the configuration file or set OSSA_MODEL to "
      "a gpt-oss checkpoint folder.";
  const Config defaults;
  if (cfg.tools == defaults.tools) {
    cfg.tools = {"python"};
    note += " Tools: python (the demo model was not trained to browse).";
  }
  if (cfg.temperature == defaults.temperature) {
    cfg.temperature = 0;
    note += " Decoding: greedy.";
  }
  return note;
}

}  // namespace ossa::runtime
