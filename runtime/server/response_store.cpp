#include "runtime/server/response_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ossa::server {
namespace fs = std::filesystem;

ResponseStore::ResponseStore(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("cannot create " + dir_.string() + ": " + ec.message());
}

bool ResponseStore::valid_id(const std::string& id) {
  if (id.size() < 6 || id.size() > 100 || id.rfind("resp_", 0) != 0) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

void ResponseStore::put(const std::string& id, const Json& response,
                        const std::vector<harmony::Message>& conversation) {
  if (!valid_id(id)) throw std::runtime_error("invalid response id " + id);
  Json rec = Json::object();
  rec["response"] = response;
  Json msgs = Json::array();
  for (const auto& m : conversation) msgs.push_back(harmony::to_json(m));
  rec["conversation"] = std::move(msgs);
  fs::path tmp = dir_ / (id + ".json.tmp");
  fs::path dst = dir_ / (id + ".json");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << rec.dump();
    f.flush();
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
  }
  int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::error_code ec;
  fs::rename(tmp, dst, ec);
  if (ec) throw std::runtime_error("cannot store " + dst.string() + ": " + ec.message());
}

std::optional<Json> ResponseStore::read(const std::string& id) const {
  if (!valid_id(id)) return std::nullopt;
  std::ifstream f(dir_ / (id + ".json"), std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::optional<Json> ResponseStore::response(const std::string& id) const {
  auto j = read(id);
  if (!j || !j->contains("response")) return std::nullopt;
  return (*j)["response"];
}

std::optional<std::vector<harmony::Message>> ResponseStore::conversation(const std::string& id) const {
  auto j = read(id);
  if (!j || !j->contains("conversation") || !(*j)["conversation"].is_array()) return std::nullopt;
  std::vector<harmony::Message> out;
  for (const auto& mj : (*j)["conversation"]) {
    auto m = harmony::message_from_json(mj);
    if (!m) return std::nullopt;
    out.push_back(std::move(*m));
  }
  return out;
}

std::vector<Json> ResponseStore::records() const {
  std::vector<Json> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".json") continue;
    std::string id = p.stem().string();
    auto j = read(id);
    if (!j || !j->contains("response") || !(*j)["response"].is_object()) continue;
    (*j)["id"] = id;
    out.push_back(std::move(*j));
  }
  return out;
}

bool ResponseStore::remove(const std::string& id) {
  if (!valid_id(id)) return false;
  std::error_code ec;
  return fs::remove(dir_ / (id + ".json"), ec);
}

}  // namespace ossa::server
