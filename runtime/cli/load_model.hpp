#pragma once
// Loading a checkpoint for the engine commands (logits, generate, bench), saying so when
// --threads asked for more than the usable cores (the engine caps it).
#include <filesystem>
#include <memory>

#include "engine/model.hpp"
#include "runtime/log.hpp"

namespace ossa::cli {

inline std::shared_ptr<const engine::Model> load_model(const std::filesystem::path& dir,
                                                       unsigned threads, std::uint64_t kv_memory_bytes = 0) {
  auto model = engine::Model::load(dir, {threads, kv_memory_bytes});
  if (threads > model->threads())
    log::warn("--threads ", threads, " is more than the ", model->threads(),
              " usable cores; using ", model->threads());
  return model;
}

}  // namespace ossa::cli
