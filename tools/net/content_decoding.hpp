#pragma once
// gzip / deflate (zlib-wrapped or raw) body decoding with an output cap, for the HTTP client.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ossa::net {

enum class DecodeStatus { ok, too_large, corrupt };

// Decodes `data` compressed with `encoding` ("gzip", "x-gzip", "deflate") into *out, stopping
// with too_large when the result would exceed `max_bytes`.
DecodeStatus decode_content(std::string_view encoding, std::string_view data, std::size_t max_bytes,
                            std::string* out);

// gzip-compresses `data` (used by tests and by anything that uploads compressed bodies).
std::string gzip_compress(std::string_view data);

}  // namespace ossa::net
