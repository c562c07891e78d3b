#pragma once
// File operations confined beneath an open directory: the host side of every tool that reads
// or writes the workspace (apply_patch, the browser's local docs, tool files, transcripts).
//
// Sandboxed code shares the workspace and can swap a directory for a symbolic link at any
// moment, so nothing here checks a path and then uses it again: every operation resolves
// relative to a directory file descriptor with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
// (or, on kernels without openat2, one O_NOFOLLOW component at a time) and then acts on the
// final name with *at() calls (mkdirat, renameat, unlinkat, fstatat with AT_SYMLINK_NOFOLLOW).
// A symbolic link anywhere in a relative path is an error, never followed.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ossa::tools {

struct FileInfo {
  enum class Kind { missing, regular, directory, symlink, other } kind = Kind::missing;
  mode_t mode = 0;  // permission bits
  std::uint64_t size = 0;
};

class DirFd {
 public:
  // Opens `dir` itself (the path the user chose; a link there is the user's own) as the root.
  // Returns nullopt with *error set when it is not an openable directory.
  static std::optional<DirFd> open(const std::filesystem::path& dir, std::string* error);

  DirFd(DirFd&& other) noexcept;
  DirFd& operator=(DirFd&& other) noexcept;
  DirFd(const DirFd&) = delete;
  DirFd& operator=(const DirFd&) = delete;
  ~DirFd();

  int fd() const { return fd_; }

  // `rel` is a relative path of plain names ("a/b.txt"): no "..", no leading "/", no empty
  // names. Errors are sentences naming `rel`.

  // The directory `rel` ("" = this one), created with its parents when `create`.
  std::optional<DirFd> open_dir(std::string_view rel, bool create, std::string* error) const;
  // What `rel` is, without following a final link (a link in the middle is an error).
  std::optional<FileInfo> stat(std::string_view rel, std::string* error) const;
  // The contents of the regular file `rel`; refuses links, directories and files over
  // `max_bytes`.
  std::optional<std::string> read_file(std::string_view rel, std::size_t max_bytes,
                                       std::string* error) const;
  // Replaces (or creates) the regular file `rel` atomically: a temporary file in the same
  // directory renamed over it, keeping the mode of the file it replaces (else `mode`).
  // Creates missing parent directories. Returns "" or the error.
  std::string write_file(std::string_view rel, std::string_view contents, mode_t mode = 0644) const;
  // Removes the file `rel` (a regular file or a link itself, never what a link points to).
  std::string remove_file(std::string_view rel) const;
  // Opens `rel` with open(2) `flags` (O_NOFOLLOW is added: the final name may not be a link
  // either); -1 with *error set on failure. The caller owns the descriptor.
  int open_file(std::string_view rel, int flags, mode_t mode, std::string* error) const;

  // Every regular file beneath this directory (relative paths, sorted), never entering or
  // reporting links; stops after `max_files`. `want` filters by relative path.
  std::vector<std::string> regular_files(std::size_t max_files,
                                         const std::function<bool(std::string_view)>& want = {}) const;

 private:
  explicit DirFd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Checks that `rel` is a relative path of plain names; returns "" or why not.
std::string check_relative(std::string_view rel);

}  // namespace ossa::tools
