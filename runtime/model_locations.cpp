#include "runtime/model_locations.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "engine/checkpoint.hpp"
#include "runtime/default_model.hpp"

namespace ossa::runtime {
namespace fs = std::filesystem;
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

fs::path home_cache() {
  if (std::string x = env("XDG_CACHE_HOME"); !x.empty()) return x;
  if (std::string h = env("HOME"); !h.empty()) return fs::path(h) / ".cache";
  return {};
}

fs::path hf_hub() {
  if (std::string x = env("HF_HUB_CACHE"); !x.empty()) return x;
  if (std::string x = env("HF_HOME"); !x.empty()) return fs::path(x) / "hub";
  fs::path c = home_cache();
  return c.empty() ? c : c / "huggingface" / "hub";
}

// The subfolders of `dir`, sorted; none when it is not a folder.
std::vector<fs::path> subfolders(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

class Collector {
 public:
  void add(const fs::path& dir, const char* source, bool must_exist) {
    std::error_code ec;
    if (!must_exist && !fs::exists(dir / "config.json", ec)) return;
    fs::path abs = fs::weakly_canonical(fs::absolute(dir, ec), ec);
    if (ec) abs = dir;
    for (const FoundModel& m : found_)
      if (m.path == abs.string()) return;
    FoundModel m;
    m.path = abs.string();
    m.source = source;
    try {
      engine::Checkpoint ck = engine::Checkpoint::open(abs);
      m.layout = engine::layout_name(ck.layout());
      m.bytes = ck.data_bytes();
      m.layers = ck.config().num_layers;
      m.experts = ck.config().num_experts;
    } catch (const std::exception& e) {
      m.error = e.what();
    }
    found_.push_back(std::move(m));
  }
  std::vector<FoundModel> take() { return std::move(found_); }

 private:
  std::vector<FoundModel> found_;
};

}  // namespace

std::vector<FoundModel> find_models(const std::string& configured) {
  Collector c;
  // What the user named is listed even when it is broken: that is what they need to know.
  if (!configured.empty()) c.add(configured, "config", true);
  if (std::string m = env("OSSA_MODEL"); !m.empty()) c.add(m, "OSSA_MODEL", true);
  if (fs::path demo = demo_model_dir(); !demo.empty()) c.add(demo, "demo", false);
  if (fs::path cache = home_cache(); !cache.empty())
    for (const fs::path& d : subfolders(cache / "ossa" / "models")) {
      c.add(d, "cache", false);
      c.add(d / "original", "cache", false);
    }
  for (const fs::path& repo : subfolders(hf_hub())) {
    if (repo.filename().string().rfind("models--", 0) != 0) continue;
    for (const fs::path& rev : subfolders(repo / "snapshots")) {
      c.add(rev, "huggingface", false);
      c.add(rev / "original", "huggingface", false);
    }
  }
  return c.take();
}

}  // namespace ossa::runtime
