// The workspace byte budget: measuring the host folder and killing a sandbox that grows it
// past its limit. See workspace_budget.hpp for why it is enforced from outside.
#include "sandbox/workspace_budget.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_set>
#include <vector>

#include "sandbox/sandbox.hpp"

namespace ossa::sandbox {
namespace {

// Every inode costs at least a block: a million empty files exhaust a disk's inodes as surely
// as bytes do, so they count against the budget too.
constexpr std::uint64_t kMinInodeBytes = 4096;

std::uint64_t charge(const struct stat& st) {
  return std::max<std::uint64_t>(static_cast<std::uint64_t>(st.st_blocks) * 512, kMinInodeBytes);
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

}  // namespace

WorkspaceBytes workspace_bytes(const std::filesystem::path& folder) {
  WorkspaceBytes total;
  int root = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) throw Error("sandbox: cannot measure the workspace " + folder.string() + ": " + std::strerror(errno));
  struct stat root_st;
  if (::fstat(root, &root_st) != 0) {
    ::close(root);
    throw Error("sandbox: cannot measure the workspace: " + std::string(std::strerror(errno)));
  }
  total.bytes = charge(root_st);
  std::unordered_set<ino_t> linked;  // inodes with several names are counted once
  // Depth-first with one open directory per level: never follows a symlink, never leaves the
  // folder's filesystem, and works however the tree changes under it (entries that vanish are
  // skipped). No recursion: the sandbox decides how deep the tree is.
  std::vector<DirPtr> stack;
  DIR* d = ::fdopendir(root);
  if (!d) {
    ::close(root);
    throw Error("sandbox: cannot measure the workspace: " + std::string(std::strerror(errno)));
  }
  stack.emplace_back(d);
  while (!stack.empty()) {
    DIR* dir = stack.back().get();
    errno = 0;
    dirent* e = ::readdir(dir);
    if (!e) {
      stack.pop_back();
      continue;
    }
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_dev != root_st.st_dev) continue;  // a mount point: another filesystem's space
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !linked.insert(st.st_ino).second) continue;
    total.bytes += charge(st);
    if (!S_ISDIR(st.st_mode)) continue;
    if (stack.size() >= kMaxWorkspaceDepth) {
      total.too_deep = true;
      continue;
    }
    int fd = ::openat(::dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    DIR* sub = ::fdopendir(fd);
    if (!sub) {
      ::close(fd);
      continue;
    }
    stack.emplace_back(sub);
  }
  return total;
}

WorkspaceWatch::WorkspaceWatch(std::filesystem::path folder, std::uint64_t max_bytes, UniqueFd pidfd)
    : folder_(std::move(folder)), max_bytes_(max_bytes), pidfd_(std::move(pidfd)) {
  thread_ = std::thread([this] { loop(); });
}

WorkspaceWatch::~WorkspaceWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WorkspaceWatch::loop() {
  // Measuring costs time proportional to the tree; the interval grows with it so that a large
  // workspace does not keep a core busy (at least 50 ms, at most 2 s).
  std::chrono::milliseconds interval{50};
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, interval, [this] { return stop_; })) return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    WorkspaceBytes now;
    try {
      now = workspace_bytes(folder_);
    } catch (const Error&) {
      continue;  // the folder is briefly unreadable (being replaced): measure again
    }
    if (now.bytes > max_bytes_ || now.too_deep) {
      tripped_ = true;
      ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
      return;
    }
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    interval = std::clamp(spent * 4, std::chrono::milliseconds{50}, std::chrono::milliseconds{2000});
  }
}

}  // namespace ossa::sandbox
