#pragma once
// What the tests of dropped and copied weights share: a checkpoint whose two big tables are
// most of its file, and the resident bytes of this process's mappings of a file.
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/synth.hpp"

namespace ossa::test {

// A synthetic tiny-harmony checkpoint in a temporary folder, removed at the end of the scope:
// its embedding and unembedding (201088 x 64 bf16, `table` bytes each) are most of its file.
struct TinyHarmonyCheckpoint {
  explicit TinyHarmonyCheckpoint(const std::string& tag)
      : dir(std::filesystem::temp_directory_path() / ("ossa-" + tag + "-" + std::to_string(::getpid()))) {
    engine::write_synthetic_checkpoint(engine::preset_config("tiny-harmony"), dir, 9);
    file = dir / "model.safetensors";
    size = static_cast<long long>(std::filesystem::file_size(file));
  }
  ~TinyHarmonyCheckpoint() { std::filesystem::remove_all(dir); }
  TinyHarmonyCheckpoint(const TinyHarmonyCheckpoint&) = delete;
  TinyHarmonyCheckpoint& operator=(const TinyHarmonyCheckpoint&) = delete;

  std::filesystem::path dir, file;
  long long size = 0;
  static constexpr long long table = 201088LL * 64 * 2;
};

// -1 when the kernel gives no smaps.
inline long long mapped_rss(const std::filesystem::path& file) {
  std::ifstream in("/proc/self/smaps");
  if (!in) return -1;
  const std::string name = std::filesystem::canonical(file).string();
  std::string line;
  bool ours = false;
  long long kib = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos &&
        line.find(' ') > line.find('-')) {
      ours = line.size() >= name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0;
    } else if (ours && line.rfind("Rss:", 0) == 0) {
      kib += std::stoll(line.substr(4));
    }
  }
  return kib * 1024;
}

}  // namespace ossa::test
