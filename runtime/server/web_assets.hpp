#pragma once
// The web UI's files (runtime/server/webui/), embedded in the binary at build time: the
// generated webui_embedded.cpp holds their bytes (cmake/embed_files.cmake writes it), so
// `ossa serve` reads no file at run time and works offline. Served at `/` (index.html) and
// `/ui/NAME`, with a strict Content-Security-Policy: scripts and styles from the page's own
// origin only, no inline script, no eval, no framing.
#include <cstddef>
#include <span>
#include <string_view>

namespace ossa::server {

// One embedded file, as the generated source lists it.
struct EmbeddedFile {
  const char* name;  // the file name under webui/, e.g. "app.js"
  const unsigned char* data;
  std::size_t size;
};

struct WebAsset {
  std::string_view name;
  std::string_view content_type;
  std::string_view body;
};

// Every embedded file, in the order CMake listed them.
std::span<const EmbeddedFile> embedded_web_files();

// The asset a URL path names: "/" and "/index.html" -> index.html, "/ui/NAME" -> NAME; nullptr
// for anything else (no traversal: names are matched exactly).
const WebAsset* find_web_asset(std::string_view url_path);

// text/html, text/javascript, text/css, image/svg+xml, image/png, else application/octet-stream.
std::string_view content_type_for(std::string_view file_name);

// The Content-Security-Policy sent with every asset.
std::string_view web_content_security_policy();

}  // namespace ossa::server
