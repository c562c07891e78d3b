#pragma once
// Resident bytes of this process's mappings of one file (/proc/self/smaps): what the tests of
// dropped and copied weights check.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

namespace ossa::test {

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
