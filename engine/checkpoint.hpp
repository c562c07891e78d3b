#pragma once
// A checkpoint folder: its layout, its config and its mapped safetensors files, with tensors
// looked up by name. Engine-internal; Model::load is the public way in.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/config.hpp"
#include "engine/model.hpp"
#include "engine/safetensors.hpp"

namespace ossa::engine {

class Checkpoint {
 public:
  // Reads config.json, detects the layout, maps the safetensors files (for the Hugging Face
  // layout the ones its index names, checking that each tensor sits in the file the index says).
  static Checkpoint open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  Layout layout() const { return layout_; }
  const ModelConfig& config() const { return config_; }
  const std::vector<SafetensorsFile>& files() const { return files_; }
  std::uint64_t data_bytes() const;

  // The tensor, checked for dtype and shape; throws CheckpointError naming tensor and file.
  const TensorView& require(const std::string& name, DType dtype,
                            const std::vector<std::int64_t>& shape) const;
  const TensorView* find(const std::string& name) const;

 private:
  std::filesystem::path dir_;
  Layout layout_ = Layout::original;
  ModelConfig config_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, const TensorView*> by_name_;
};

// Parses either config.json flavour (throws CheckpointError naming the file and key).
ModelConfig parse_config(const std::string& json_text, const std::filesystem::path& file,
                         Layout& layout_out);

}  // namespace ossa::engine
