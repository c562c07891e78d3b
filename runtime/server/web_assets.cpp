#include "runtime/server/web_assets.hpp"

#include <string>
#include <vector>

namespace ossa::server {

namespace generated {
// Defined in the generated webui_embedded.cpp.
extern const EmbeddedFile kWebuiFiles[];
extern const std::size_t kWebuiFileCount;
}  // namespace generated

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

const std::vector<WebAsset>& assets() {
  static const std::vector<WebAsset> all = [] {
    std::vector<WebAsset> v;
    for (const EmbeddedFile& f : embedded_web_files())
      v.push_back({f.name, content_type_for(f.name),
                   std::string_view(reinterpret_cast<const char*>(f.data), f.size)});
    return v;
  }();
  return all;
}

}  // namespace

std::span<const EmbeddedFile> embedded_web_files() {
  return {generated::kWebuiFiles, generated::kWebuiFileCount};
}

std::string_view content_type_for(std::string_view name) {
  if (ends_with(name, ".html")) return "text/html; charset=utf-8";
  if (ends_with(name, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(name, ".css")) return "text/css; charset=utf-8";
  if (ends_with(name, ".svg")) return "image/svg+xml";
  if (ends_with(name, ".png")) return "image/png";
  return "application/octet-stream";
}

const WebAsset* find_web_asset(std::string_view path) {
  std::string_view name;
  if (path == "/" || path == "/index.html") name = "index.html";
  else if (path.rfind("/ui/", 0) == 0) name = path.substr(4);
  else return nullptr;
  for (const WebAsset& a : assets())
    if (a.name == name) return &a;
  return nullptr;
}

std::string_view web_content_security_policy() {
  // connect-src 'self': the page talks to this server only. No 'unsafe-inline', no
  // 'unsafe-eval': model text that reached the DOM as markup still could not run.
  return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

}  // namespace ossa::server
