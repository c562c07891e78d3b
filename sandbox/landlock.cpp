// Landlock: the filesystem view of the mount namespace again, enforced by a second, independent
// kernel mechanism (defence in depth: a mount-namespace escape still meets these rules).
// Debian 12's kernel headers stop at ABI 1-2; the constants of later ABIs are defined here.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "sandbox/child_plan.hpp"
#include "sandbox/sandbox.hpp"

namespace ossa::sandbox {
namespace {

#ifndef SYS_landlock_create_ruleset
constexpr long SYS_landlock_create_ruleset = 444;
constexpr long SYS_landlock_add_rule = 445;
constexpr long SYS_landlock_restrict_self = 446;
#endif

constexpr std::uint32_t kCreateRulesetVersion = 1u << 0;
constexpr int kRulePathBeneath = 1;

// Filesystem access rights by ABI.
constexpr std::uint64_t kExecute = 1ull << 0, kWriteFile = 1ull << 1, kReadFile = 1ull << 2,
                        kReadDir = 1ull << 3, kRemoveDir = 1ull << 4, kRemoveFile = 1ull << 5,
                        kMakeChar = 1ull << 6, kMakeDir = 1ull << 7, kMakeReg = 1ull << 8,
                        kMakeSock = 1ull << 9, kMakeFifo = 1ull << 10, kMakeBlock = 1ull << 11,
                        kMakeSym = 1ull << 12;
constexpr std::uint64_t kRefer = 1ull << 13;     // ABI 2
constexpr std::uint64_t kTruncate = 1ull << 14;  // ABI 3
constexpr std::uint64_t kIoctlDev = 1ull << 15;  // ABI 5
// Scopes (ABI 6): no connecting to abstract unix sockets or signalling outside the domain.
constexpr std::uint64_t kScopeAbstractUnix = 1ull << 0, kScopeSignal = 1ull << 1;

struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;  // ABI 4
  std::uint64_t scoped;              // ABI 6
};

struct __attribute__((packed)) PathBeneathAttr {
  std::uint64_t allowed_access;
  std::int32_t parent_fd;
};

std::uint64_t handled_fs(int abi) {
  std::uint64_t all = kExecute | kWriteFile | kReadFile | kReadDir | kRemoveDir | kRemoveFile |
                      kMakeChar | kMakeDir | kMakeReg | kMakeSock | kMakeFifo | kMakeBlock |
                      kMakeSym;
  if (abi >= 2) all |= kRefer;
  if (abi >= 3) all |= kTruncate;
  if (abi >= 5) all |= kIoctlDev;
  return all;
}

constexpr std::uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;

}  // namespace

int landlock_abi() {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

void plan_landlock(const Policy& policy, int abi, ChildPlan& plan) {
  plan.landlock_abi = abi;
  if (abi <= 0) return;
  const std::uint64_t all = handled_fs(abi);
  const std::uint64_t read_exec = kExecute | kReadFile | kReadDir;
  const std::uint64_t read_only = kReadFile | kReadDir;
  // Listing directories is harmless in this view; reading files is not granted by it.
  plan.landlock_rules.push_back({"/", kReadDir});
  for (const char* p : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc"})
    plan.landlock_rules.push_back({p, read_exec});
  plan.landlock_rules.push_back({"/proc", read_only | kWriteFile});
  for (const char* dev : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"})
    plan.landlock_rules.push_back({dev, (kReadFile | kWriteFile | kTruncate) & all});
  for (const char* rw : {"/tmp", "/dev/shm"}) plan.landlock_rules.push_back({rw, all});
  plan.landlock_rules.push_back({policy.workspace_mount, policy.workspace_read_only ? read_exec : all});
  for (const auto& ro : policy.read_only)
    plan.landlock_rules.push_back({ro.lexically_normal().string(), read_exec});
}

void apply_landlock(const ChildPlan& plan) {
  if (plan.landlock_abi <= 0) return;
  const std::uint64_t handled = handled_fs(plan.landlock_abi);
  RulesetAttr attr{};
  attr.handled_access_fs = handled;
  size_t size = sizeof(std::uint64_t);  // ABI 1-3 know only the first field
  if (plan.landlock_abi >= 6) {
    attr.scoped = kScopeAbstractUnix | kScopeSignal;
    size = sizeof attr;
  }
  long ruleset = ::syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) child_fail("landlock: create ruleset", errno);
  for (const LandlockRule& rule : plan.landlock_rules) {
    int fd = ::open(rule.path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) continue;  // not present in this sandbox (e.g. /lib32)
    struct stat st;
    if (::fstat(fd, &st) != 0) child_fail("landlock: stat rule path", errno);
    PathBeneathAttr pb{};
    pb.parent_fd = fd;
    // Rules on anything but a directory may only carry file rights.
    pb.allowed_access = rule.access & handled & (S_ISDIR(st.st_mode) ? ~0ull : kFileRights);
    long rc = ::syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &pb, 0);
    ::close(fd);
    if (rc != 0) child_fail("landlock: add rule", errno);
  }
  if (::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
    child_fail("landlock: restrict self", errno);
  ::close(static_cast<int>(ruleset));
}

}  // namespace ossa::sandbox
