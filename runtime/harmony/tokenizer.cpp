#include "runtime/harmony/tokenizer.hpp"

#include <algorithm>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "runtime/harmony/pretokenizer.hpp"
#include "runtime/harmony/rank_table.hpp"
#include "runtime/harmony/utf8.hpp"

namespace ossa::harmony {

struct Tokenizer::Impl {
  RankTable ranks;
  PreTokenizer pre;
  std::vector<std::string> special_text;  // index: id - kFirstSpecial
  std::unordered_map<std::string, TokenId> special_ids;
};

namespace {

constexpr size_t kNumSpecial = tokens::kLastSpecial - tokens::kFirstSpecial + 1;

std::string special_name(TokenId id) {
  switch (id) {
    case tokens::kStartOfText: return "<|startoftext|>";
    case tokens::kEndOfText: return "<|endoftext|>";
    case tokens::kReturn: return "<|return|>";
    case tokens::kConstrain: return "<|constrain|>";
    case tokens::kChannel: return "<|channel|>";
    case tokens::kStart: return "<|start|>";
    case tokens::kEnd: return "<|end|>";
    case tokens::kMessage: return "<|message|>";
    case tokens::kCall: return "<|call|>";
    default: return "<|reserved_" + std::to_string(id) + "|>";
  }
}

struct Base64Table {
  int8_t v[256];
  constexpr Base64Table() : v{} {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
  }
};
constexpr Base64Table kBase64;

// Appends the decoded bytes to `out`; false on a malformed or empty string.
bool base64_append(std::string_view in, std::string& out) {
  const size_t before = out.size();
  uint32_t acc = 0;
  int bits = 0;
  size_t i = 0;
  for (; i < in.size() && in[i] != '='; ++i) {
    const int v = kBase64.v[static_cast<unsigned char>(in[i])];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  for (; i < in.size(); ++i)
    if (in[i] != '=') return false;
  return out.size() > before;
}

// GPT-2's byte <-> printable code point mapping, used by Hugging Face ByteLevel vocabularies.
std::vector<int> hf_codepoint_to_byte() {
  std::vector<int> map(512, -1);
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    map[static_cast<size_t>(printable ? b : 256 + extra++)] = b;
  }
  return map;
}

}  // namespace

// A friend of Tokenizer: validates the ranks and builds the lookup tables.
struct TokenizerFactory {
  // Rank r's bytes are arena[offsets[r], offsets[r+1]); an empty range is a missing rank.
  static Result<std::shared_ptr<const Tokenizer>> make(std::string arena,
                                                       std::vector<uint32_t> offsets,
                                                       const char* source) {
    auto impl = std::make_unique<Tokenizer::Impl>();
    if (offsets.size() > tokens::kFirstSpecial + 1)
      return Error{std::string(source) + ": more ordinary tokens than o200k_harmony allows"};
    for (size_t r = 0; r + 1 < offsets.size(); ++r)
      if (offsets[r + 1] == offsets[r])
        return Error{std::string(source) + ": rank " + std::to_string(r) + " is missing"};
    if (!impl->ranks.build(std::move(arena), std::move(offsets)))
      return Error{std::string(source) + ": two ranks have the same bytes"};
    for (size_t b = 0; b < 256; ++b) {
      const char c = static_cast<char>(b);
      if (impl->ranks.find(&c, 1) == RankTable::kNone)
        return Error{std::string(source) + ": byte " + std::to_string(b) + " has no rank"};
    }
    impl->special_text.reserve(kNumSpecial);
    for (TokenId id = tokens::kFirstSpecial; id <= tokens::kLastSpecial; ++id) {
      impl->special_text.push_back(special_name(id));
      impl->special_ids.emplace(impl->special_text.back(), id);
    }
    impl->special_ids.emplace("<|endofprompt|>", 200018);
    return std::shared_ptr<const Tokenizer>(new Tokenizer(std::move(impl)));
  }
};

namespace {
Result<std::shared_ptr<const Tokenizer>> build(const std::vector<std::string>& tokens,
                                               const char* source) {
  std::string arena;
  std::vector<uint32_t> offsets{0};
  for (const auto& t : tokens) {
    arena += t;
    offsets.push_back(static_cast<uint32_t>(arena.size()));
  }
  return TokenizerFactory::make(std::move(arena), std::move(offsets), source);
}
}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_tiktoken(std::string_view text) {
  // Lines normally come in rank order (0, 1, 2, ...): decode straight into one arena. Files in
  // another order take the slower path through one string per rank.
  std::string arena;
  arena.reserve(text.size() * 3 / 4);
  std::vector<uint32_t> offsets{0};
  offsets.reserve(200001);
  std::vector<std::string> unordered;
  std::string bytes;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t sp = line.find(' ');
    auto bad = [&] {
      return Error{"tiktoken ranks: malformed line " + std::to_string(line_no)};
    };
    const size_t mark = arena.size();
    if (sp == std::string_view::npos || !base64_append(line.substr(0, sp), arena)) return bad();
    std::string_view num = line.substr(sp + 1);
    if (num.empty() || num.size() > 9) return bad();
    size_t rank = 0;
    for (char c : num) {
      if (c < '0' || c > '9') return bad();
      rank = rank * 10 + static_cast<size_t>(c - '0');
    }
    if (rank >= tokens::kFirstSpecial) return bad();
    if (unordered.empty() && rank == offsets.size() - 1) {
      offsets.push_back(static_cast<uint32_t>(arena.size()));
      continue;
    }
    bytes.assign(arena, mark);
    arena.resize(mark);
    if (unordered.empty()) {  // switch to the general path, keeping what was read
      for (size_t r = 0; r + 1 < offsets.size(); ++r)
        unordered.emplace_back(arena.substr(offsets[r], offsets[r + 1] - offsets[r]));
      if (unordered.empty()) unordered.emplace_back();
    }
    if (rank >= unordered.size()) unordered.resize(rank + 1);
    if (!unordered[rank].empty()) return bad();
    unordered[rank] = bytes;
  }
  if (!unordered.empty()) return build(unordered, "tiktoken ranks");
  if (offsets.size() == 1) return Error{"tiktoken ranks: no tokens"};
  return TokenizerFactory::make(std::move(arena), std::move(offsets), "tiktoken ranks");
}

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_hf_json(std::string_view json_text) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Error{"tokenizer.json: not a JSON object"};
  auto model = doc.find("model");
  if (model == doc.end() || !model->is_object()) return Error{"tokenizer.json: no \"model\""};
  auto vocab = model->find("vocab");
  if (vocab == model->end() || !vocab->is_object())
    return Error{"tokenizer.json: no \"model.vocab\" object"};
  const std::vector<int> cp_to_byte = hf_codepoint_to_byte();
  std::vector<std::string> tokens;
  tokens.reserve(200000);
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    if (!it.value().is_number_unsigned()) return Error{"tokenizer.json: vocab id not a number"};
    const auto id = it.value().get<uint64_t>();
    if (id >= tokens::kFirstSpecial) continue;  // specials are fixed by o200k_harmony
    std::string bytes;
    const std::string& key = it.key();
    // Each key is a UTF-8 string of mapped code points (all below U+0200).
    for (size_t i = 0; i < key.size();) {
      const auto c = static_cast<unsigned char>(key[i]);
      uint32_t cp;
      if (c < 0x80) {
        cp = c;
        i += 1;
      } else if ((c & 0xE0) == 0xC0 && i + 1 < key.size()) {
        cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(key[i + 1]) & 0x3Fu);
        i += 2;
      } else {
        return Error{"tokenizer.json: vocab key is not byte-level: " + key};
      }
      if (cp >= cp_to_byte.size() || cp_to_byte[cp] < 0)
        return Error{"tokenizer.json: vocab key is not byte-level: " + key};
      bytes.push_back(static_cast<char>(cp_to_byte[cp]));
    }
    if (id >= tokens.size()) tokens.resize(id + 1);
    if (!tokens[id].empty()) return Error{"tokenizer.json: duplicate id " + std::to_string(id)};
    tokens[id] = std::move(bytes);
  }
  // Added tokens must agree with o200k_harmony's fixed special ids.
  if (auto added = doc.find("added_tokens"); added != doc.end() && added->is_array()) {
    for (const auto& t : *added) {
      if (!t.is_object() || !t.contains("id") || !t.contains("content")) continue;
      if (!t["id"].is_number_unsigned() || !t["content"].is_string()) continue;
      const auto id = t["id"].get<uint64_t>();
      const auto& content = t["content"].get_ref<const std::string&>();
      if (id < tokens::kFirstSpecial || id > tokens::kLastSpecial)
        return Error{"tokenizer.json: added token " + content + " has id " + std::to_string(id) +
                     " outside o200k_harmony's special range"};
      if (content != special_name(static_cast<TokenId>(id)) &&
          !(id == 200018 && content == "<|endofprompt|>"))
        return Error{"tokenizer.json: added token id " + std::to_string(id) + " is " + content +
                     ", o200k_harmony has " + special_name(static_cast<TokenId>(id))};
    }
  }
  if (tokens.empty()) return Error{"tokenizer.json: empty vocabulary"};
  return build(tokens, "tokenizer.json");
}

Result<std::shared_ptr<const Tokenizer>> Tokenizer::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot open tokenizer file " + path};
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return Error{"cannot read tokenizer file " + path};
  const std::string text = std::move(ss).str();
  const bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  auto r = json ? from_hf_json(text) : from_tiktoken(text);
  if (!r) return Error{path + ": " + r.error()};
  return r;
}

size_t Tokenizer::n_ordinary() const { return impl_->ranks.size(); }

namespace {
// Classic tiktoken byte-pair merge: repeatedly merge the adjacent pair whose concatenation has
// the lowest rank (leftmost on ties). `parts` is caller-owned scratch space so that encoding a
// long text allocates only when a piece is longer than any before it.
void bpe_merge(const RankTable& ranks, std::string_view piece,
               std::vector<std::pair<uint32_t, uint32_t>>& parts, std::vector<TokenId>& out) {
  const size_t n = piece.size();
  parts.clear();
  auto rank_of = [&](size_t b, size_t e) { return ranks.find(piece.data() + b, e - b); };
  uint32_t min_rank = RankTable::kNone;
  size_t min_i = 0;
  for (size_t i = 0; i + 1 < n; ++i) {
    const uint32_t r = rank_of(i, i + 2);
    if (r < min_rank) {
      min_rank = r;
      min_i = i;
    }
    parts.emplace_back(static_cast<uint32_t>(i), r);
  }
  parts.emplace_back(static_cast<uint32_t>(n - 1), RankTable::kNone);
  parts.emplace_back(static_cast<uint32_t>(n), RankTable::kNone);
  auto pair_rank = [&](size_t i) {
    return i + 3 < parts.size() ? rank_of(parts[i].first, parts[i + 3].first) : RankTable::kNone;
  };
  while (min_rank != RankTable::kNone) {
    const size_t i = min_i;
    if (i > 0) parts[i - 1].second = pair_rank(i - 1);
    parts[i].second = pair_rank(i);
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    min_rank = RankTable::kNone;
    for (size_t j = 0; j + 1 < parts.size(); ++j) {
      if (parts[j].second < min_rank) {
        min_rank = parts[j].second;
        min_i = j;
      }
    }
  }
  for (size_t j = 0; j + 1 < parts.size(); ++j)
    out.push_back(rank_of(parts[j].first, parts[j + 1].first));
}

// The same merge order for long pieces in O(n log n): a min-heap of (rank, start) pairs with
// lazy deletion picks exactly the pair the linear scan would (lowest rank, leftmost), so the
// result is identical; it keeps a hostile run of thousands of letters from costing O(n^2).
void bpe_merge_long(const RankTable& ranks, std::string_view piece, std::vector<TokenId>& out) {
  const auto n = static_cast<uint32_t>(piece.size());
  constexpr uint32_t kNil = UINT32_MAX;
  // Part i covers piece[i, next[i]); parts are identified by their start offset.
  std::vector<uint32_t> next(n), prev(n), pair_rank(n, RankTable::kNone);
  for (uint32_t i = 0; i < n; ++i) {
    next[i] = i + 1;
    prev[i] = i == 0 ? kNil : i - 1;
  }
  // The pair starting at part i spans parts i and next[i].
  auto rank_of_pair = [&](uint32_t i) {
    if (next[i] >= n) return RankTable::kNone;
    return ranks.find(piece.data() + i, next[next[i]] - i);
  };
  using Entry = std::pair<uint32_t, uint32_t>;  // (rank, start): smallest first
  std::vector<Entry> heap;
  auto push = [&](uint32_t i) {
    pair_rank[i] = rank_of_pair(i);
    if (pair_rank[i] != RankTable::kNone) {
      heap.emplace_back(pair_rank[i], i);
      std::push_heap(heap.begin(), heap.end(), std::greater<Entry>());
    }
  };
  for (uint32_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<Entry>());
    const auto [rank, i] = heap.back();
    heap.pop_back();
    if (next[i] == kNil || pair_rank[i] != rank) continue;  // merged away or re-ranked
    const uint32_t j = next[i];
    next[i] = next[j];
    if (next[j] < n) prev[next[j]] = i;
    next[j] = kNil;
    pair_rank[j] = RankTable::kNone;
    push(i);
    if (prev[i] != kNil) push(prev[i]);
  }
  for (uint32_t i = 0; i < n; i = next[i]) out.push_back(ranks.find(piece.data() + i, next[i] - i));
}

// Above this many bytes a piece takes the O(n log n) merge.
constexpr size_t kLongPiece = 256;

void encode_valid(const Tokenizer::Impl& impl, std::string_view text,
                  std::vector<std::pair<uint32_t, uint32_t>>& parts, std::vector<TokenId>& out) {
  impl.pre.split(text, [&](std::string_view piece) {
    const uint32_t r = impl.ranks.find(piece);
    if (r != RankTable::kNone) out.push_back(r);
    else if (piece.size() > kLongPiece) bpe_merge_long(impl.ranks, piece, out);
    else bpe_merge(impl.ranks, piece, parts, out);
  });
}
}  // namespace

void Tokenizer::encode_ordinary(std::string_view text, std::vector<TokenId>& out) const {
  std::vector<std::pair<uint32_t, uint32_t>> parts;
  // The regex needs valid UTF-8; bytes that are not (the reference cannot receive them at all)
  // are encoded as single-byte tokens between the valid runs.
  while (!text.empty()) {
    const utf8::Check c = utf8::check(text);
    encode_valid(*impl_, text.substr(0, c.valid_up_to), parts, out);
    if (c.valid_up_to == text.size()) break;
    const size_t bad = c.error_len == 0 ? text.size() - c.valid_up_to : c.error_len;
    for (size_t i = 0; i < bad; ++i) out.push_back(impl_->ranks.find(text.data() + c.valid_up_to + i, 1));
    text.remove_prefix(c.valid_up_to + bad);
  }
}

std::vector<TokenId> Tokenizer::encode_ordinary(std::string_view text) const {
  std::vector<TokenId> out;
  encode_ordinary(text, out);
  return out;
}

void Tokenizer::encode_with_specials(std::string_view text, std::vector<TokenId>& out) const {
  size_t chunk = 0;  // start of text not yet encoded
  size_t pos = 0;
  while ((pos = text.find("<|", pos)) != std::string_view::npos) {
    const size_t close = text.find("|>", pos + 2);
    if (close == std::string_view::npos) break;
    auto it = impl_->special_ids.find(std::string(text.substr(pos, close + 2 - pos)));
    if (it == impl_->special_ids.end()) {
      ++pos;
      continue;
    }
    encode_ordinary(text.substr(chunk, pos - chunk), out);
    out.push_back(it->second);
    pos = chunk = close + 2;
  }
  encode_ordinary(text.substr(chunk), out);
}

std::vector<TokenId> Tokenizer::encode_with_specials(std::string_view text) const {
  std::vector<TokenId> out;
  encode_with_specials(text, out);
  return out;
}

std::optional<std::string_view> Tokenizer::token_bytes(TokenId id) const {
  if (id < impl_->ranks.size()) return impl_->ranks.bytes(id);
  if (is_special(id)) return std::string_view(impl_->special_text[id - tokens::kFirstSpecial]);
  return std::nullopt;
}

std::optional<TokenId> Tokenizer::special_id(std::string_view text) const {
  auto it = impl_->special_ids.find(std::string(text));
  if (it == impl_->special_ids.end()) return std::nullopt;
  return it->second;
}

bool Tokenizer::decode_bytes(std::span<const TokenId> ids, std::string& out) const {
  for (TokenId id : ids) {
    auto b = token_bytes(id);
    if (!b) return false;
    out.append(*b);
  }
  return true;
}

std::string Tokenizer::decode_lossy(std::span<const TokenId> ids) const {
  std::string bytes, out;
  for (TokenId id : ids) {
    if (auto b = token_bytes(id)) {
      bytes.append(*b);
    } else {
      utf8::append_valid(bytes, out, true);
      bytes.clear();
      out.append(utf8::kReplacement);
    }
  }
  utf8::append_valid(bytes, out, true);
  return out;
}

Result<std::vector<TokenId>> token_ids_from_json(std::string_view json_text) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) return Error{"expected a JSON array of token ids"};
  std::vector<TokenId> ids;
  ids.reserve(doc.size());
  for (const auto& v : doc) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > tokens::kLastSpecial)
      return Error{"not a token id: " + v.dump()};
    ids.push_back(static_cast<TokenId>(v.get<int64_t>()));
  }
  return ids;
}

std::string_view IncrementalDecoder::push(TokenId id) {
  out_.clear();
  auto b = tok_->token_bytes(id);
  if (!b) {
    utf8::append_valid(pending_, out_, true);
    pending_.clear();
    out_.append(utf8::kReplacement);
    return out_;
  }
  pending_.append(*b);
  const size_t used = utf8::append_valid(pending_, out_, false);
  pending_.erase(0, used);
  return out_;
}

std::string IncrementalDecoder::flush() {
  std::string out;
  utf8::append_valid(pending_, out, true);
  pending_.clear();
  return out;
}

}  // namespace ossa::harmony
