#pragma once
// A safetensors file mapped read-only into memory (never copied): 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw data. open()
// validates the whole header against the file size; problems throw CheckpointError naming the
// file (and the tensor).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ossa::engine {

enum class DType { bf16, f16, f32, f64, u8, i8, i32, i64, boolean };
const char* dtype_name(DType dtype);
std::size_t dtype_size(DType dtype);

struct TensorView {
  std::string name;
  DType dtype = DType::u8;
  std::vector<std::int64_t> shape;
  const std::uint8_t* data = nullptr;
  std::size_t nbytes = 0;
  const std::filesystem::path* file = nullptr;  // owned by the SafetensorsFile

  std::int64_t numel() const;
};

std::string shape_string(const std::vector<std::int64_t>& shape);

class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::filesystem::path& path);
  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  const std::filesystem::path& path() const { return *path_; }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  // The tensor, or nullptr.
  const TensorView* find(const std::string& name) const;
  std::uint64_t data_bytes() const { return data_bytes_; }
  // The whole mapping (header included).
  const std::uint8_t* map_data() const { return static_cast<const std::uint8_t*>(map_); }
  std::size_t map_size() const { return map_size_; }

 private:
  SafetensorsFile() = default;
  std::unique_ptr<std::filesystem::path> path_;  // stable address for TensorView::file
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::uint64_t data_bytes_ = 0;
  std::map<std::string, TensorView> tensors_;
};

}  // namespace ossa::engine
