#pragma once
// Loads the conformance vectors under OSSA_TEST_DATA_DIR so that each case becomes its own
// parameterised test.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace ossa::test {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sorted file names in data/<dir> starting with `prefix` and ending in `.json`.
inline std::vector<std::string> case_files(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(OSSA_TEST_DATA_DIR) + "/" + dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.path().extension() == ".json") out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline nlohmann::ordered_json load_json(const std::string& rel) {
  return nlohmann::ordered_json::parse(read_file(std::string(OSSA_TEST_DATA_DIR) + "/" + rel));
}

// A test-name-safe version of a file or case name.
inline std::string test_name(std::string s) {
  if (auto dot = s.rfind(".json"); dot != std::string::npos) s.resize(dot);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

}  // namespace ossa::test
