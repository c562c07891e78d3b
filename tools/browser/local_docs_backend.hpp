#pragma once
// Search over a folder of HTML, Markdown and text files with BM25, for air-gapped machines and
// internal documentation. Documents are addressed as localdocs://docs/<relative path>; their
// relative links resolve to further local documents, so a doc site can be browsed.
#include <filesystem>
#include <memory>
#include <mutex>

#include "tools/browser/search_backend.hpp"

namespace ossa::browser {

class LocalDocsBackend : public SearchBackend {
 public:
  // Indexes `root` (recursively; files up to 4 MiB with extensions .html .htm .md .markdown
  // .txt .rst) on the first search.
  explicit LocalDocsBackend(std::filesystem::path root);
  ~LocalDocsBackend() override;

  std::string source() const override { return "local documents"; }
  bool search(std::string_view query, int topn, std::vector<SearchHit>* hits,
              std::string* error) override;
  std::optional<Fetched> fetch(std::string_view url) override;

  // The URL of a file under root ("guide/intro.md" -> "localdocs://docs/guide/intro.md").
  static std::string url_for(const std::string& relative_path);
  std::size_t document_count();

 private:
  struct Index;
  std::filesystem::path root_;
  std::mutex mutex_;
  std::unique_ptr<Index> index_;
  std::string index_error_;
  void build_index();
};

}  // namespace ossa::browser
