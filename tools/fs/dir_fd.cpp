#include "tools/fs/dir_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <random>
#include <utility>

namespace ossa::tools {
namespace {

// Concatenation by append: GCC 12 reports a false -Wrestrict for `"literal" + std::string`
// chains once inlined (GCC bug 105329).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

std::vector<std::string_view> split(std::string_view rel) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i <= rel.size()) {
    std::size_t slash = rel.find('/', i);
    if (slash == std::string_view::npos) slash = rel.size();
    parts.push_back(rel.substr(i, slash - i));
    i = slash + 1;
  }
  return parts;
}

std::string describe(std::string_view rel, int err) {
  std::string_view why;
  switch (err) {
    case ELOOP: why = "is or passes through a symbolic link, which is not followed here"; break;
    case EXDEV: why = "leads outside the folder"; break;
    case ENOENT: why = "no such file or directory"; break;
    case ENOTDIR: why = "a part of the path is not a directory"; break;
    default: why = std::strerror(err);
  }
  return cat({"`", rel, "`: ", why});
}

// One name, or a whole relative path, beneath `dirfd`: openat2 refuses links and escapes in
// the kernel; without openat2 the path is walked one O_NOFOLLOW name at a time.
int open_beneath(int dirfd, std::string_view rel, int flags, mode_t mode) {
  std::string path = rel.empty() ? std::string(".") : std::string(rel);
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < 8; ++attempt) {
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EAGAIN || errno == EINTR) continue;
    if (errno != ENOSYS) return -1;
    break;
  }
  if (errno != ENOSYS) return -1;
  std::vector<std::string_view> parts = split(rel.empty() ? std::string_view(".") : rel);
  int cur = dirfd;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    std::string name(parts[i]);
    int next = ::openat(cur, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    if (cur != dirfd) ::close(cur);
    if (next < 0) {
      errno = saved;
      return -1;
    }
    cur = next;
  }
  std::string last(parts.back());
  int fd = ::openat(cur, last.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, mode);
  int saved = errno;
  if (cur != dirfd) ::close(cur);
  errno = saved;
  return fd;
}

// O_NOFOLLOW | O_DIRECTORY on a link fails with ENOTDIR; say "link" when one of the names is
// a link (a lookup for the message only: nothing is opened or written through it).
int refine(int dirfd, std::string_view rel, int err) {
  if (err != ENOTDIR) return err;
  std::string prefix;
  for (std::string_view part : split(rel)) {
    if (!prefix.empty()) prefix += '/';
    prefix.append(part);
    struct stat st {};
    if (::fstatat(dirfd, prefix.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) break;
    if (S_ISLNK(st.st_mode)) return ELOOP;
  }
  return err;
}

// Splits "a/b/c" into ("a/b", "c").
std::pair<std::string_view, std::string_view> parent_and_name(std::string_view rel) {
  std::size_t slash = rel.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view{}, rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

FileInfo info_of(const struct stat& st) {
  FileInfo info;
  info.mode = st.st_mode & 07777;
  info.size = static_cast<std::uint64_t>(st.st_size);
  if (S_ISREG(st.st_mode)) info.kind = FileInfo::Kind::regular;
  else if (S_ISDIR(st.st_mode)) info.kind = FileInfo::Kind::directory;
  else if (S_ISLNK(st.st_mode)) info.kind = FileInfo::Kind::symlink;
  else info.kind = FileInfo::Kind::other;
  return info;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string check_relative(std::string_view rel) {
  if (rel.empty()) return "empty path";
  if (rel.front() == '/') return cat({"`", rel, "` is absolute"});
  for (std::string_view part : split(rel)) {
    if (part.empty() || part == "." || part == "..")
      return cat({"`", rel, "` is not a plain relative path"});
    if (part.find('\0') != std::string_view::npos) return "a path holds a NUL byte";
  }
  return {};
}

std::optional<DirFd> DirFd::open(const std::filesystem::path& dir, std::string* error) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = cat({"`", dir.native(), "` is not an openable directory: ", std::strerror(errno)});
    return std::nullopt;
  }
  return DirFd(fd);
}

DirFd::DirFd(DirFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DirFd& DirFd::operator=(DirFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DirFd::~DirFd() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<DirFd> DirFd::open_dir(std::string_view rel, bool create, std::string* error) const {
  if (!rel.empty()) {
    if (std::string why = check_relative(rel); !why.empty()) {
      *error = why;
      return std::nullopt;
    }
  }
  if (!create) {
    int fd = open_beneath(fd_, rel, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) {
      *error = describe(rel, refine(fd_, rel, errno));
      return std::nullopt;
    }
    return DirFd(fd);
  }
  // One name at a time: create it if missing, then open it beneath the previous one (a link
  // put there in between is refused by the open, not followed).
  DirFd cur(::fcntl(fd_, F_DUPFD_CLOEXEC, 0));
  if (cur.fd_ < 0) {
    *error = describe(rel, errno);
    return std::nullopt;
  }
  if (rel.empty()) return cur;
  for (std::string_view part : split(rel)) {
    std::string name(part);
    if (::mkdirat(cur.fd_, name.c_str(), 0777) != 0 && errno != EEXIST) {
      *error = describe(rel, errno);
      return std::nullopt;
    }
    int next = open_beneath(cur.fd_, name, O_RDONLY | O_DIRECTORY, 0);
    if (next < 0) {
      *error = describe(rel, refine(cur.fd_, name, errno));
      return std::nullopt;
    }
    cur = DirFd(next);
  }
  return cur;
}

std::optional<FileInfo> DirFd::stat(std::string_view rel, std::string* error) const {
  if (std::string why = check_relative(rel); !why.empty()) {
    *error = why;
    return std::nullopt;
  }
  auto [parent, name] = parent_and_name(rel);
  int pfd = parent.empty() ? fd_ : open_beneath(fd_, parent, O_RDONLY | O_DIRECTORY, 0);
  if (pfd < 0) {
    int err = refine(fd_, parent, errno);
    if (err == ENOENT) return FileInfo{};  // a missing parent: the file is missing too
    *error = describe(rel, err);
    return std::nullopt;
  }
  struct stat st {};
  std::string n(name);
  int rc = ::fstatat(pfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  int err = errno;
  if (pfd != fd_) ::close(pfd);
  if (rc != 0) {
    if (err == ENOENT) return FileInfo{};
    *error = describe(rel, err);
    return std::nullopt;
  }
  return info_of(st);
}

int DirFd::open_file(std::string_view rel, int flags, mode_t mode, std::string* error) const {
  if (std::string why = check_relative(rel); !why.empty()) {
    *error = why;
    return -1;
  }
  int fd = open_beneath(fd_, rel, flags, mode);
  if (fd < 0) *error = describe(rel, refine(fd_, rel, errno));
  return fd;
}

std::optional<std::string> DirFd::read_file(std::string_view rel, std::size_t max_bytes,
                                            std::string* error) const {
  int fd = open_file(rel, O_RDONLY | O_NONBLOCK, 0, error);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> out;
  if (::fstat(fd, &st) != 0) {
    *error = describe(rel, errno);
  } else if (!S_ISREG(st.st_mode)) {
    *error = cat({"`", rel, "` is not a regular file"});
  } else if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    *error = cat({"`", rel, "` is larger than ", std::to_string(max_bytes), " bytes"});
  } else {
    std::string data;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        *error = describe(rel, errno);
        break;
      }
      if (n == 0) {
        out = std::move(data);
        break;
      }
      data.append(buf, static_cast<std::size_t>(n));
      if (data.size() > max_bytes) {  // it grew while being read
        *error = cat({"`", rel, "` is larger than ", std::to_string(max_bytes), " bytes"});
        break;
      }
    }
  }
  ::close(fd);
  return out;
}

std::string DirFd::write_file(std::string_view rel, std::string_view contents, mode_t mode) const {
  if (std::string why = check_relative(rel); !why.empty()) return why;
  auto [parent, name] = parent_and_name(rel);
  std::string error;
  std::optional<DirFd> dir = open_dir(parent, true, &error);
  if (!dir) return error;
  const std::string target(name);
  struct stat st {};
  if (::fstatat(dir->fd_, target.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) return cat({"`", rel, "` is a directory"});
    // Keep the mode of a file being replaced (an executable script stays executable); set-id
    // bits never carry over.
    if (S_ISREG(st.st_mode)) mode = st.st_mode & 0777;
  }
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    tmp = cat({".", std::string_view(target).substr(0, 100), ".ossa-", std::to_string(rng())});
    fd = ::openat(dir->fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) return describe(rel, errno);
  }
  if (fd < 0) return describe(rel, EEXIST);
  bool ok = write_all(fd, contents) && ::fchmod(fd, mode & 0777) == 0;
  int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlinkat(dir->fd_, tmp.c_str(), 0);
    return cat({"cannot write `", rel, "`: ", std::strerror(saved)});
  }
  // renameat replaces the name itself: a link put at `target` is replaced, never followed.
  if (::renameat(dir->fd_, tmp.c_str(), dir->fd_, target.c_str()) != 0) {
    saved = errno;
    ::unlinkat(dir->fd_, tmp.c_str(), 0);
    return cat({"cannot replace ", describe(rel, saved)});
  }
  return {};
}

std::string DirFd::remove_file(std::string_view rel) const {
  if (std::string why = check_relative(rel); !why.empty()) return why;
  auto [parent, name] = parent_and_name(rel);
  std::string error;
  std::optional<DirFd> dir = open_dir(parent, false, &error);
  if (!dir) return error;
  std::string n(name);
  if (::unlinkat(dir->fd_, n.c_str(), 0) != 0) return cat({"cannot delete ", describe(rel, errno)});
  return {};
}

std::vector<std::string> DirFd::regular_files(std::size_t max_files,
                                              const std::function<bool(std::string_view)>& want) const {
  std::vector<std::string> found;
  // Depth-first over directory descriptors; each entry is examined with fstatat(NOFOLLOW), and
  // subdirectories are opened beneath their parent, so a link swapped in is never entered.
  struct Pending {
    int fd;
    std::string prefix;
  };
  std::vector<Pending> stack;
  int first = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (first < 0) return found;
  stack.push_back({first, ""});
  while (!stack.empty() && found.size() < max_files) {
    Pending cur = std::move(stack.back());
    stack.pop_back();
    DIR* d = ::fdopendir(cur.fd);
    if (!d) {
      ::close(cur.fd);
      continue;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    std::sort(names.begin(), names.end());
    std::vector<Pending> subdirs;
    for (const std::string& n : names) {
      if (found.size() >= max_files) break;
      struct stat st {};
      if (::fstatat(::dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      std::string rel = cur.prefix + n;
      if (S_ISREG(st.st_mode)) {
        if (!want || want(rel)) found.push_back(std::move(rel));
      } else if (S_ISDIR(st.st_mode)) {
        int sub = open_beneath(::dirfd(d), n, O_RDONLY | O_DIRECTORY, 0);
        if (sub >= 0) subdirs.push_back({sub, cat({rel, "/"})});
      }
    }
    ::closedir(d);
    // Reverse, so the stack visits subdirectories in name order.
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
  }
  for (Pending& p : stack) ::close(p.fd);
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace ossa::tools
