#include "tools/net/content_decoding.hpp"

#include <zlib.h>

#include <cstring>

namespace ossa::net {
namespace {

DecodeStatus inflate_with(int window_bits, std::string_view data, std::size_t max_bytes,
                          std::string* out) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, window_bits) != Z_OK) return DecodeStatus::corrupt;
  out->clear();
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  char chunk[16384];
  DecodeStatus status = DecodeStatus::ok;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    int rc = inflate(&zs, Z_NO_FLUSH);
    std::size_t produced = sizeof chunk - zs.avail_out;
    if (out->size() + produced > max_bytes) {
      status = DecodeStatus::too_large;
      break;
    }
    out->append(chunk, produced);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members (allowed by RFC 1952): keep going when input remains.
      if (zs.avail_in > 0 && window_bits > 15) {
        if (inflateReset(&zs) != Z_OK) {
          status = DecodeStatus::corrupt;
          break;
        }
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      status = DecodeStatus::corrupt;  // truncated stream
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status = DecodeStatus::corrupt;
      break;
    }
  }
  inflateEnd(&zs);
  return status;
}

}  // namespace

DecodeStatus decode_content(std::string_view encoding, std::string_view data,
                            std::size_t max_bytes, std::string* out) {
  if (data.size() > (std::size_t{1} << 31)) return DecodeStatus::too_large;
  if (encoding == "gzip" || encoding == "x-gzip") return inflate_with(15 + 16, data, max_bytes, out);
  if (encoding == "deflate") {
    // "deflate" is meant to be zlib-wrapped, but servers also send raw deflate.
    DecodeStatus s = inflate_with(15, data, max_bytes, out);
    if (s == DecodeStatus::corrupt) s = inflate_with(-15, data, max_bytes, out);
    return s;
  }
  return DecodeStatus::corrupt;
}

std::string gzip_compress(std::string_view data) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace ossa::net
