#pragma once
// Random gpt-oss checkpoints with the real shapes, in the original layout, for measuring speed
// without downloading weights. Written tensor by tensor through a small buffer, so memory stays
// bounded (a few MiB) whatever the model size.
#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/config.hpp"

namespace ossa::engine {

// "tiny" (the tiny-a golden dimensions), "tiny-harmony" (tiny over the full 201088-token
// harmony vocabulary, for running the agent runtime), "20b", "120b". Throws std::invalid_argument otherwise.
ModelConfig preset_config(const std::string& name);

// Writes dir/config.json (the 16 reference keys) and dir/model.safetensors. Values are drawn
// from a seeded generator with magnitudes like a trained model's, so activations stay finite.
// Returns the bytes written. Throws std::runtime_error on an I/O failure.
std::uint64_t write_synthetic_checkpoint(const ModelConfig& config, const std::filesystem::path& dir,
                                         std::uint64_t seed);

}  // namespace ossa::engine
