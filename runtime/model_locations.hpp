#pragma once
// Where checkpoints are usually kept, for `ossa model list`: the configuration's `model`,
// $OSSA_MODEL, the demo model next to the binary, the folders of ~/.cache/ossa/models
// ($XDG_CACHE_HOME honoured) and a Hugging Face hub cache ($HF_HUB_CACHE, $HF_HOME/hub or
// ~/.cache/huggingface/hub: models--ORG--NAME/snapshots/REV, and its original/ folder).
//
//   for (const FoundModel& m : ossa::runtime::find_models(cfg.model)) ...
//
// Each folder that holds a config.json is opened as a checkpoint (config and safetensors
// headers, not the weights), so a broken one is listed with its error rather than skipped.
#include <cstdint>
#include <string>
#include <vector>

namespace ossa::runtime {

struct FoundModel {
  std::string path;     // absolute
  std::string source;   // config, OSSA_MODEL, demo, cache, huggingface
  std::string layout;   // original | huggingface; empty when it could not be opened
  std::uint64_t bytes = 0;  // tensor data in its safetensors files
  int layers = 0, experts = 0;
  std::string error;    // why it cannot be loaded; empty when it can be opened
};

// `configured`: the configuration's `model` (may be empty). Each folder once, in the order above.
std::vector<FoundModel> find_models(const std::string& configured);

}  // namespace ossa::runtime
