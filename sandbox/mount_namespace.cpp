// Mount namespace: a minimal root built on a tmpfs, then pivot_root; nothing of the host is
// reachable afterwards except what is bound here (read-only /usr and a few /etc files, the
// workspace read-write).
#include "sandbox/mount_namespace.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "sandbox/child_plan.hpp"
#include "sandbox/sandbox.hpp"

namespace ossa::sandbox {
namespace {

constexpr const char* kOldRoot = "/oldroot";

std::string host(const std::filesystem::path& p) { return std::string(kOldRoot) + p.string(); }

// /etc entries programs need (dynamic linker cache, alternatives links, python's config).
constexpr std::array kEtcBinds = {"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives",
                                  "python3",     "python3.11", "protocols",    "services",
                                  "mime.types",  "ssl"};

// Workspace entries whose contents run code as the user outside the sandbox (git hooks,
// core.fsmonitor, hg hooks...) or configure ossa itself.
constexpr std::array kProtectedNames = {".git", ".hg", ".svn", ".jj", ".ossa"};

void add_dir_links(ChildPlan& plan) {
  // Merged-/usr systems have /bin, /lib... as symlinks into /usr; older ones have directories.
  for (const char* name : {"bin", "sbin", "lib", "lib64", "lib32", "libx32"}) {
    std::filesystem::path p = std::filesystem::path("/") / name;
    std::error_code ec;
    auto st = std::filesystem::symlink_status(p, ec);
    if (ec) continue;
    if (std::filesystem::is_symlink(st)) {
      plan.mounts.push_back({MountStep::Kind::symlink, std::filesystem::read_symlink(p, ec).string(),
                             p.string(), {}, true, false});
    } else if (std::filesystem::is_directory(st)) {
      plan.mounts.push_back({MountStep::Kind::bind_ro, host(p), p.string(), {}, true, false});
    }
  }
}

void add_etc(ChildPlan& plan) {
  plan.mounts.push_back({MountStep::Kind::file, {}, "/etc/passwd",
                         "root:x:0:0:root:/tmp:/bin/sh\n"
                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                         false, false});
  plan.mounts.push_back(
      {MountStep::Kind::file, {}, "/etc/group", "root:x:0:\nnogroup:x:65534:\n", false, false});
  plan.mounts.push_back({MountStep::Kind::file, {}, "/etc/hosts",
                         "127.0.0.1 localhost sandbox\n::1 localhost\n", false, false});
  plan.mounts.push_back({MountStep::Kind::file, {}, "/etc/hostname", "sandbox\n", false, false});
  plan.mounts.push_back({MountStep::Kind::file, {}, "/etc/nsswitch.conf",
                         "passwd: files\ngroup: files\nhosts: files\n", false, false});
  for (const char* name : kEtcBinds) {
    std::filesystem::path p = std::filesystem::path("/etc") / name;
    std::error_code ec;
    auto st = std::filesystem::symlink_status(p, ec);
    if (ec || !std::filesystem::exists(st)) continue;
    if (std::filesystem::is_symlink(st)) {
      plan.mounts.push_back({MountStep::Kind::symlink, std::filesystem::read_symlink(p, ec).string(),
                             p.string(), {}, false, false});
    } else {
      plan.mounts.push_back({MountStep::Kind::bind_ro, host(p), p.string(), {},
                             std::filesystem::is_directory(st), false});
    }
  }
  std::error_code ec;
  auto lt = std::filesystem::read_symlink("/etc/localtime", ec);
  if (!ec) plan.mounts.push_back({MountStep::Kind::symlink, lt.string(), "/etc/localtime", {}});
}

void add_dev(ChildPlan& plan) {
  plan.mounts.push_back(
      {MountStep::Kind::tmpfs, {}, "/dev", "mode=0755,size=64k,nr_inodes=64", true, true});
  for (const char* name : {"null", "zero", "full", "random", "urandom"}) {
    plan.mounts.push_back({MountStep::Kind::bind_dev, std::string(kOldRoot) + "/dev/" + name,
                           std::string("/dev/") + name, {}, false, false});
  }
  plan.mounts.push_back({MountStep::Kind::symlink, "/proc/self/fd", "/dev/fd", {}});
  plan.mounts.push_back({MountStep::Kind::symlink, "/proc/self/fd/0", "/dev/stdin", {}});
  plan.mounts.push_back({MountStep::Kind::symlink, "/proc/self/fd/1", "/dev/stdout", {}});
  plan.mounts.push_back({MountStep::Kind::symlink, "/proc/self/fd/2", "/dev/stderr", {}});
}

// ---- child side: plain system calls on prepared strings, no allocation ----

// mkdir -p for a path in the new root.
void make_dirs(const char* path) {
  char buf[4096];
  size_t n = std::strlen(path);
  if (n >= sizeof buf) child_fail("mount namespace: path too long", ENAMETOOLONG);
  std::memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; ++i) {
    if (buf[i] == '/' || buf[i] == '\0') {
      char saved = buf[i];
      buf[i] = '\0';
      if (::mkdir(buf, 0755) != 0 && errno != EEXIST) child_fail("mount namespace: mkdir", errno);
      buf[i] = saved;
    }
  }
}

void make_parent_dirs(const char* path) {
  char buf[4096];
  size_t n = std::strlen(path);
  if (n >= sizeof buf) child_fail("mount namespace: path too long", ENAMETOOLONG);
  std::memcpy(buf, path, n + 1);
  char* slash = std::strrchr(buf, '/');
  if (slash && slash != buf) {
    *slash = '\0';
    make_dirs(buf);
  }
}

void make_file(const char* path) {
  struct stat st;
  if (::lstat(path, &st) == 0) return;
  make_parent_dirs(path);
  int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) child_fail("mount namespace: create mount point", errno);
  ::close(fd);
}

void set_attr(const char* path, std::uint64_t attrs, bool recursive) {
  struct mount_attr attr {};
  attr.attr_set = attrs;
  if (::mount_setattr(AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) != 0)
    child_fail("mount namespace: mount_setattr", errno);
}

void bind(const MountStep& m, bool writable) {
  struct stat st;
  if (::stat(m.target.c_str(), &st) != 0) {
    if (m.source_is_dir) make_dirs(m.target.c_str());
    else make_file(m.target.c_str());
  }
  if (::mount(m.source.c_str(), m.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    child_fail("mount namespace: bind mount", errno);
  set_attr(m.target.c_str(),
           MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (writable ? 0 : MOUNT_ATTR_RDONLY), true);
}

// Covers `path` with a read-only copy of itself. The path is opened without following a
// symlink in its last component, and everything after works on that descriptor, so a process
// of another sandbox sharing the workspace cannot swap in a symlink to steer the mount.
void protect_read_only(const char* path) {
  int fd = ::open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return;  // removed since planning: nothing to protect
    child_fail("mount namespace: open a protected path", errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) child_fail("mount namespace: stat a protected path", errno);
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
    ::close(fd);
    return;
  }
  int tree = static_cast<int>(::open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                      AT_EMPTY_PATH | AT_RECURSIVE));
  if (tree < 0) child_fail("mount namespace: clone a protected path", errno);
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (::mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
    child_fail("mount namespace: make a protected path read-only", errno);
  if (::move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    child_fail("mount namespace: mount a protected path", errno);
  ::close(tree);
  ::close(fd);
}

}  // namespace

void plan_mounts(const Policy& policy, bool idmapped, ChildPlan& plan) {
  plan.mounts.push_back({MountStep::Kind::bind_ro, host("/usr"), "/usr", {}, true, false});
  add_dir_links(plan);
  add_etc(plan);
  plan.mounts.push_back({MountStep::Kind::proc, {}, "/proc", {}, true, false});
  add_dev(plan);
  plan.mounts.push_back({MountStep::Kind::tmpfs, {}, "/dev/shm",
                         "mode=1777,size=" + std::to_string(policy.limits.tmp_bytes ? policy.limits.tmp_bytes : (64u << 20)),
                         true, false});
  plan.mounts.push_back({MountStep::Kind::tmpfs, {}, "/tmp",
                         "mode=1777,size=" + std::to_string(policy.limits.tmp_bytes ? policy.limits.tmp_bytes : (256u << 20)),
                         true, false});
  for (const auto& ro : policy.read_only) {
    std::error_code ec;
    auto real = std::filesystem::canonical(ro, ec);
    if (ec) throw Error("sandbox: read-only path " + ro.string() + ": " + ec.message());
    plan.mounts.push_back({MountStep::Kind::bind_ro, host(real), ro.lexically_normal().string(),
                           {}, std::filesystem::is_directory(real), false});
  }
  if (policy.workspace.empty()) {
    plan.mounts.push_back({MountStep::Kind::tmpfs, {}, policy.workspace_mount,
                           "mode=0755,size=" + std::to_string(policy.limits.tmp_bytes ? policy.limits.tmp_bytes : (256u << 20)),
                           true, false});
  } else {
    std::error_code ec;
    auto real = std::filesystem::canonical(policy.workspace, ec);
    if (ec || !std::filesystem::is_directory(real))
      throw Error("sandbox: workspace " + policy.workspace.string() + " is not a directory");
    // Read-only needs no idmapping: nothing is written, so file ownership cannot go wrong.
    const bool idmap = idmapped && !policy.workspace_read_only;
    plan.mounts.push_back({policy.workspace_read_only ? MountStep::Kind::bind_ro
                           : idmap                    ? MountStep::Kind::idmapped_ws
                                                      : MountStep::Kind::bind_rw,
                           host(real), policy.workspace_mount, {}, true, false});
    plan.expect_workspace_fd = idmap;
    if (policy.protect_git) {
      for (const char* name : kProtectedNames) {
        // Planned only when there now; the child checks again, without following symlinks.
        std::error_code sec;
        auto st = std::filesystem::symlink_status(real / name, sec);
        if (sec || !(std::filesystem::is_directory(st) || std::filesystem::is_regular_file(st)))
          continue;
        plan.mounts.push_back({MountStep::Kind::protect_ro, {}, policy.workspace_mount + "/" + name,
                               {}, true, false});
      }
    }
  }
}

UniqueFd idmapped_workspace(const std::filesystem::path& workspace, pid_t pid) {
  std::error_code ec;
  auto real = std::filesystem::canonical(workspace, ec);
  if (ec) return {};
  UniqueFd tree(::open_tree(AT_FDCWD, real.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) return {};
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd userns(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns) return {};
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.userns_fd = static_cast<std::uint64_t>(userns.get());
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) return {};
  return tree;
}

void apply_mounts(const ChildPlan& plan, int workspace_fd) {
  // Nothing we mount may propagate back to the host's mount namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    child_fail("mount namespace: make / private", errno);
  // The new root is a tmpfs mounted over /tmp and pivoted to; pivot_root moves that mount, so
  // the host's real /tmp stays visible under /oldroot/tmp for binds of paths there.
  if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m,nr_inodes=4096") != 0)
    child_fail("mount namespace: tmpfs root", errno);
  if (::chdir("/tmp") != 0) child_fail("mount namespace: chdir new root", errno);
  if (::mkdir("oldroot", 0700) != 0) child_fail("mount namespace: mkdir oldroot", errno);
  if (::syscall(SYS_pivot_root, ".", "oldroot") != 0) child_fail("mount namespace: pivot_root", errno);
  if (::chdir("/") != 0) child_fail("mount namespace: chdir /", errno);

  const char* ro_tmpfs[8];  // tmpfs made read-only at the end (only /dev today)
  size_t n_ro_tmpfs = 0;
  for (const MountStep& m : plan.mounts) {
    const char* target = m.target.c_str();
    switch (m.kind) {
      case MountStep::Kind::bind_ro: {
        struct stat st;
        if (::stat(m.source.c_str(), &st) != 0) continue;  // vanished since planning
        bind(m, false);
        break;
      }
      case MountStep::Kind::bind_rw:
        bind(m, true);
        break;
      case MountStep::Kind::bind_dev:
        make_file(target);
        if (::mount(m.source.c_str(), target, nullptr, MS_BIND, nullptr) != 0)
          child_fail("mount namespace: bind device", errno);
        break;
      case MountStep::Kind::tmpfs:
        make_dirs(target);
        if (::mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, m.data.c_str()) != 0)
          child_fail("mount namespace: tmpfs", errno);
        if (m.read_only_after && n_ro_tmpfs < 8) ro_tmpfs[n_ro_tmpfs++] = target;
        break;
      case MountStep::Kind::proc:
        make_dirs(target);
        if (::mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
          child_fail("mount namespace: proc", errno);
        break;
      case MountStep::Kind::symlink:
        make_parent_dirs(target);
        if (::symlink(m.source.c_str(), target) != 0 && errno != EEXIST)
          child_fail("mount namespace: symlink", errno);
        break;
      case MountStep::Kind::file: {
        make_parent_dirs(target);
        int fd = ::open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) child_fail("mount namespace: write file", errno);
        if (::write(fd, m.data.data(), m.data.size()) != static_cast<ssize_t>(m.data.size()))
          child_fail("mount namespace: write file", errno);
        ::close(fd);
        break;
      }
      case MountStep::Kind::protect_ro:
        protect_read_only(target);
        break;
      case MountStep::Kind::idmapped_ws:
        make_dirs(target);
        if (::move_mount(workspace_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0)
          child_fail("mount namespace: attach idmapped workspace", errno);
        break;
    }
  }
  if (::umount2(kOldRoot, MNT_DETACH) != 0) child_fail("mount namespace: detach old root", errno);
  if (::rmdir(kOldRoot) != 0) child_fail("mount namespace: remove old root", errno);
  for (size_t i = 0; i < n_ro_tmpfs; ++i) set_attr(ro_tmpfs[i], MOUNT_ATTR_RDONLY, false);
  // The root itself: nothing can be created next to /usr, /etc...
  set_attr("/", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, false);
  if (::chdir(plan.cwd.c_str()) != 0) child_fail("mount namespace: chdir to working directory", errno);
}

}  // namespace ossa::sandbox
