#include "tools/browser/local_docs_backend.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <sstream>
#include <unordered_map>

#include "tools/browser/html_to_text.hpp"
#include "tools/browser/page_view.hpp"
#include "tools/fs/dir_fd.hpp"
#include "tools/net/url.hpp"

namespace ossa::browser {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "localdocs://docs/";
constexpr std::size_t kMaxFileBytes = 4u << 20;
constexpr std::size_t kMaxFiles = 100000;

bool indexable(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".html" || ext == ".htm" || ext == ".md" || ext == ".markdown" || ext == ".txt" ||
         ext == ".rst";
}

bool is_html(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".html" || ext == ".htm";
}

// Lowercase words: ASCII letters/digits, and any non-ASCII UTF-8 sequence as part of a word.
std::vector<std::string> terms_of(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      cur += static_cast<char>(std::tolower(c));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// Title and searchable text of the document `rel` holding `raw`.
std::pair<std::string, std::string> extract(const std::string& raw, const std::string& rel) {
  const fs::path p(rel);
  if (is_html(p)) {
    Page page = html_to_page(raw, LocalDocsBackend::url_for(rel), {}, false);
    std::string title = page.title == "docs" ? p.filename().string() : page.title;
    return {title, strip_link_markers(page.text)};
  }
  std::string title;
  std::istringstream lines(raw);
  for (std::string line; std::getline(lines, line);) {
    std::size_t i = 0;
    while (i < line.size() && line[i] == '#') ++i;
    if (i > 0 && i < line.size() && line[i] == ' ') {
      title = line.substr(i + 1);
      break;
    }
    if (!line.empty() && title.empty() && p.extension() == ".txt") {
      title = line;
      break;
    }
  }
  while (!title.empty() && std::isspace(static_cast<unsigned char>(title.back()))) title.pop_back();
  if (title.empty()) title = p.filename().string();
  return {title, raw};
}

}  // namespace

struct LocalDocsBackend::Index {
  struct Doc {
    std::string rel, title, text;
    std::unordered_map<std::string, int> tf;
    std::size_t length = 0;
  };
  std::vector<Doc> docs;
  std::unordered_map<std::string, int> df;
  double avg_length = 0;
};

LocalDocsBackend::LocalDocsBackend(fs::path root) : root_(std::move(root)) {}
LocalDocsBackend::~LocalDocsBackend() = default;

std::string LocalDocsBackend::url_for(const std::string& relative_path) {
  std::string out(kPrefix);
  std::size_t start = 0;
  for (;;) {
    auto slash = relative_path.find('/', start);
    out += net::percent_encode(relative_path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

void LocalDocsBackend::build_index() {
  auto index = std::make_unique<Index>();
  std::string error;
  std::optional<tools::DirFd> root = tools::DirFd::open(root_, &error);
  if (!root) {
    index_error_ = "the local documents folder `" + root_.string() + "` does not exist";
    return;
  }
  // Only regular files beneath the folder, never through a link: a link placed in the folder
  // (by sandboxed code writing the workspace, say) must not put a host file in the index.
  std::vector<std::string> files = root->regular_files(
      kMaxFiles, [](std::string_view rel) { return indexable(fs::path(rel)); });
  std::size_t total = 0;
  for (const auto& f : files) {
    std::optional<std::string> raw = root->read_file(f, kMaxFileBytes, &error);
    if (!raw) continue;
    Index::Doc d;
    d.rel = f;
    auto [title, text] = extract(*raw, d.rel);
    d.title = std::move(title);
    d.text = std::move(text);
    auto words = terms_of(d.text);
    for (auto& w : terms_of(d.title)) {  // the title counts twice: it says what the page is
      words.push_back(w);
      words.push_back(w);
    }
    for (const auto& w : words) d.tf[w]++;
    d.length = words.size();
    total += d.length;
    for (const auto& [w, n] : d.tf) index->df[w]++;
    index->docs.push_back(std::move(d));
  }
  index->avg_length = index->docs.empty() ? 1.0 : static_cast<double>(total) / static_cast<double>(index->docs.size());
  index_ = std::move(index);
}

std::size_t LocalDocsBackend::document_count() {
  std::lock_guard lock(mutex_);
  if (!index_ && index_error_.empty()) build_index();
  return index_ ? index_->docs.size() : 0;
}

namespace {

std::string make_snippet(const std::string& text, const std::vector<std::string>& terms) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t best = std::string::npos;
  for (const auto& t : terms) {
    std::size_t p = lower.find(t);
    if (p < best) best = p;
  }
  if (best == std::string::npos) best = 0;
  std::size_t start = best > 80 ? best - 80 : 0;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  std::string piece = text.substr(start, 240);
  while (!piece.empty() && (static_cast<unsigned char>(piece.back()) & 0xC0) == 0x80) piece.pop_back();
  if (!piece.empty() && static_cast<unsigned char>(piece.back()) >= 0xC0) piece.pop_back();
  std::string out;
  bool sp = false;
  for (char c : piece) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '#' || c == '*') {
      sp = true;
      continue;
    }
    if (sp && !out.empty()) out += ' ';
    sp = false;
    out += c;
  }
  return (start > 0 ? "..." : "") + out + (start + 240 < text.size() ? "..." : "");
}

}  // namespace

bool LocalDocsBackend::search(std::string_view query, int topn, std::vector<SearchHit>* hits,
                              std::string* error) {
  std::lock_guard lock(mutex_);
  if (!index_ && index_error_.empty()) build_index();
  if (!index_) {
    *error = index_error_;
    return false;
  }
  auto q = terms_of(query);
  std::sort(q.begin(), q.end());
  q.erase(std::unique(q.begin(), q.end()), q.end());
  const double k1 = 1.2, b = 0.75;
  const double n = static_cast<double>(index_->docs.size());
  std::vector<std::pair<double, std::size_t>> scored;
  for (std::size_t i = 0; i < index_->docs.size(); ++i) {
    const auto& d = index_->docs[i];
    double score = 0;
    for (const auto& t : q) {
      auto it = d.tf.find(t);
      if (it == d.tf.end()) continue;
      double df = index_->df[t];
      double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
      double tf = it->second;
      score += idf * tf * (k1 + 1) /
               (tf + k1 * (1 - b + b * static_cast<double>(d.length) / index_->avg_length));
    }
    if (score > 0) scored.emplace_back(score, i);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& c) { return a.first > c.first; });
  hits->clear();
  for (const auto& [score, i] : scored) {
    if (static_cast<int>(hits->size()) >= topn) break;
    const auto& d = index_->docs[i];
    hits->push_back({url_for(d.rel), d.title, make_snippet(d.text, q)});
  }
  return true;
}

std::optional<Fetched> LocalDocsBackend::fetch(std::string_view url) {
  if (url.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view rest = url.substr(kPrefix.size());
  rest = rest.substr(0, rest.find_first_of("?#"));
  std::string rel = net::percent_decode(rest);
  Fetched out;
  fs::path p = fs::path(rel).lexically_normal();
  if (rel.empty() || p.is_absolute() || (!p.empty() && *p.begin() == "..") ||
      rel.find('\0') != std::string::npos) {
    out.error = "no such local document";
    return out;
  }
  const std::string rel_path = p.generic_string();
  std::string error;
  std::optional<tools::DirFd> root = tools::DirFd::open(root_, &error);
  std::optional<std::string> raw;
  if (root && indexable(p)) raw = root->read_file(rel_path, kMaxFileBytes, &error);
  if (!raw) {
    out.error = "no such local document";
    return out;
  }
  std::string canonical_url = url_for(rel_path);
  if (is_html(p)) {
    out.page = html_to_page(*raw, canonical_url, {}, true);
  } else {
    auto [title, text] = extract(*raw, rel_path);
    out.page = text_to_page(text, canonical_url, title, true);
  }
  return out;
}

}  // namespace ossa::browser
