#include "engine/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "engine/model.hpp"

namespace ossa::engine {
namespace {
[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw CheckpointError(file.string() + ": " + what);
}

bool parse_dtype(const std::string& s, DType& out) {
  static const std::pair<const char*, DType> kNames[] = {
      {"BF16", DType::bf16}, {"F16", DType::f16}, {"F32", DType::f32}, {"F64", DType::f64},
      {"U8", DType::u8},     {"I8", DType::i8},   {"I32", DType::i32}, {"I64", DType::i64},
      {"BOOL", DType::boolean}};
  for (const auto& [name, d] : kNames) {
    if (s == name) {
      out = d;
      return true;
    }
  }
  return false;
}
}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::bf16: return "BF16";
    case DType::f16: return "F16";
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::u8: return "U8";
    case DType::i8: return "I8";
    case DType::i32: return "I32";
    case DType::i64: return "I64";
    case DType::boolean: return "BOOL";
  }
  return "?";
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::bf16:
    case DType::f16: return 2;
    case DType::f32:
    case DType::i32: return 4;
    case DType::f64:
    case DType::i64: return 8;
    case DType::u8:
    case DType::i8:
    case DType::boolean: return 1;
  }
  return 1;
}

std::int64_t TensorView::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile f;
  f.path_ = std::make_unique<std::filesystem::path>(path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    fail(path, std::string("cannot stat: ") + std::strerror(e));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    fail(path, "truncated: " + std::to_string(size) + " bytes, not even a header length");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  int map_errno = errno;
  ::close(fd);
  if (map == MAP_FAILED) fail(path, std::string("cannot mmap: ") + std::strerror(map_errno));
  f.map_ = map;
  f.map_size_ = size;
  const auto* bytes = static_cast<const std::uint8_t*>(map);

  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > size - 8 || header_len > (100u << 20)) {
    fail(path, "truncated or corrupt: header length " + std::to_string(header_len) +
                   " does not fit in " + std::to_string(size) + " bytes");
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes + 8, bytes + 8 + header_len);
  } catch (const std::exception& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  const std::uint8_t* data = bytes + 8 + header_len;
  const std::uint64_t data_size = size - 8 - header_len;

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    auto bad = [&](const std::string& what) { fail(path, "tensor '" + name + "': " + what); };
    if (!entry.is_object()) bad("header entry is not an object");
    TensorView t;
    t.name = name;
    t.file = f.path_.get();
    auto dt = entry.find("dtype");
    if (dt == entry.end() || !dt->is_string() || !parse_dtype(dt->get<std::string>(), t.dtype)) {
      bad("missing or unknown dtype");
    }
    auto sh = entry.find("shape");
    if (sh == entry.end() || !sh->is_array()) bad("missing shape");
    std::uint64_t numel = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) bad("shape entries must be non-negative integers");
      auto v = d.get<std::uint64_t>();
      if (v > (1ull << 40) || (v && numel > (1ull << 50) / v)) bad("shape too large");
      numel *= v;
      t.shape.push_back(static_cast<std::int64_t>(v));
    }
    auto off = entry.find("data_offsets");
    if (off == entry.end() || !off->is_array() || off->size() != 2 ||
        !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned()) {
      bad("missing data_offsets [begin, end]");
    }
    auto b = (*off)[0].get<std::uint64_t>(), e = (*off)[1].get<std::uint64_t>();
    if (b > e) bad("data_offsets begin > end");
    if (e > data_size) {
      bad("data [" + std::to_string(b) + ", " + std::to_string(e) + ") runs past the end of the " +
          "file's data (" + std::to_string(data_size) + " bytes): file truncated?");
    }
    if (e - b != numel * dtype_size(t.dtype)) {
      bad("data_offsets span " + std::to_string(e - b) + " bytes but " + dtype_name(t.dtype) +
          " " + shape_string(t.shape) + " needs " + std::to_string(numel * dtype_size(t.dtype)));
    }
    t.data = data + b;
    t.nbytes = static_cast<std::size_t>(e - b);
    f.data_bytes_ += e - b;
    f.tensors_.emplace(name, std::move(t));
  }
  return f;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& o) noexcept
    : path_(std::move(o.path_)),
      map_(std::exchange(o.map_, nullptr)),
      map_size_(std::exchange(o.map_size_, 0)),
      data_bytes_(o.data_bytes_),
      tensors_(std::move(o.tensors_)) {}

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& o) noexcept {
  if (this != &o) {
    if (map_) ::munmap(map_, map_size_);
    path_ = std::move(o.path_);
    map_ = std::exchange(o.map_, nullptr);
    map_size_ = std::exchange(o.map_size_, 0);
    data_bytes_ = o.data_bytes_;
    tensors_ = std::move(o.tensors_);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_size_);
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace ossa::engine
