#pragma once
// Internal: o200k's pre-tokenizer regex (PCRE2, UTF + UCP, JIT-compiled) splitting text into the
// pieces that BPE encodes independently.
#include <cstddef>
#include <string_view>

namespace ossa::harmony {

class PreTokenizer {
 public:
  PreTokenizer();
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Calls f(piece) for each match in order. `text` must be valid UTF-8.
  template <class F>
  void split(std::string_view text, F&& f) const {
    size_t pos = 0;
    size_t begin = 0, end = 0;
    while (pos < text.size() && next(text, pos, begin, end)) {
      f(text.substr(begin, end - begin));
      pos = end;
    }
  }

  static const char* pattern();

 private:
  // The next match at or after `pos`; false when none.
  bool next(std::string_view text, size_t pos, size_t& begin, size_t& end) const;
  void* code_ = nullptr;  // pcre2_code_8
  bool jit_ = false;
};

}  // namespace ossa::harmony
