#include "engine/checkpoint.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace ossa::engine {
namespace {
std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw CheckpointError(p.string() + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

const char* layout_name(Layout layout) {
  return layout == Layout::huggingface ? "huggingface" : "original";
}

Checkpoint Checkpoint::open(const std::filesystem::path& dir) {
  Checkpoint ck;
  ck.dir_ = dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw CheckpointError(dir.string() + ": not a checkpoint folder");
  }
  const auto config_path = dir / "config.json";
  if (!std::filesystem::exists(config_path, ec)) {
    throw CheckpointError(config_path.string() + ": missing (every checkpoint layout has one)");
  }
  ck.config_ = parse_config(read_text(config_path), config_path, ck.layout_);

  std::vector<std::filesystem::path> paths;
  const auto index_path = dir / "model.safetensors.index.json";
  std::map<std::string, std::string> index;  // tensor -> file name
  if (ck.layout_ == Layout::huggingface && std::filesystem::exists(index_path, ec)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_text(index_path));
    } catch (const std::exception& e) {
      throw CheckpointError(index_path.string() + ": not valid JSON: " + e.what());
    }
    auto wm = j.is_object() ? j.find("weight_map") : j.end();
    if (wm == j.end() || !wm->is_object()) {
      throw CheckpointError(index_path.string() + ": missing object 'weight_map'");
    }
    std::set<std::string> names;
    for (const auto& [tensor, file] : wm->items()) {
      if (!file.is_string()) throw CheckpointError(index_path.string() + ": weight_map['" + tensor + "'] is not a string");
      auto f = file.get<std::string>();
      if (f.find('/') != std::string::npos || f.empty() || f[0] == '.') {
        throw CheckpointError(index_path.string() + ": weight_map['" + tensor + "'] names a file outside the folder");
      }
      index[tensor] = f;
      names.insert(f);
    }
    for (const auto& n : names) paths.push_back(dir / n);
  } else {
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".safetensors") paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
  }
  if (ec) throw CheckpointError(dir.string() + ": cannot list: " + ec.message());
  if (paths.empty()) throw CheckpointError(dir.string() + ": no .safetensors files");

  for (const auto& p : paths) ck.files_.push_back(SafetensorsFile::open(p));
  for (const auto& f : ck.files_) {
    for (const auto& [name, view] : f.tensors()) {
      auto [it, inserted] = ck.by_name_.emplace(name, &view);
      if (!inserted) {
        throw CheckpointError("tensor '" + name + "' appears in both " + it->second->file->string() +
                              " and " + f.path().string());
      }
    }
  }
  for (const auto& [tensor, file] : index) {
    auto it = ck.by_name_.find(tensor);
    if (it == ck.by_name_.end()) {
      throw CheckpointError("tensor '" + tensor + "' listed in " + index_path.string() +
                            " is missing from " + (dir / file).string());
    }
    if (it->second->file->filename() != file) {
      throw CheckpointError("tensor '" + tensor + "' is in " + it->second->file->string() +
                            " but " + index_path.string() + " says " + file);
    }
  }
  return ck;
}

std::uint64_t Checkpoint::data_bytes() const {
  std::uint64_t n = 0;
  for (const auto& f : files_) n += f.data_bytes();
  return n;
}

const TensorView* Checkpoint::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const TensorView& Checkpoint::require(const std::string& name, DType dtype,
                                      const std::vector<std::int64_t>& shape) const {
  const TensorView* t = find(name);
  if (!t) {
    std::string where = files_.size() == 1 ? files_[0].path().string() : dir_.string() + "/*.safetensors";
    throw CheckpointError("missing tensor '" + name + "' (looked in " + where + ")");
  }
  if (t->dtype != dtype) {
    throw CheckpointError(t->file->string() + ": tensor '" + name + "' has dtype " +
                          dtype_name(t->dtype) + ", expected " + dtype_name(dtype));
  }
  if (t->shape != shape) {
    throw CheckpointError(t->file->string() + ": tensor '" + name + "' has shape " +
                          shape_string(t->shape) + ", expected " + shape_string(shape));
  }
  return *t;
}

}  // namespace ossa::engine
