// Seccomp: a filter built once with libseccomp in the parent (which may allocate), exported as
// raw BPF and installed in the child with one system call.
//
// Default allow, and EPERM for the syscall families an escape or a kernel attack needs. Any
// other architecture (i386 via int 0x80, x32) kills the process: the filter only knows the
// native ABI's numbers, so foreign ones must not be judged by it.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "sandbox/child_plan.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/unique_fd.hpp"

namespace ossa::sandbox {
namespace {

// Denied outright. Grouped by what they would give an attacker.
constexpr const char* kDenied[] = {
    // mounts and the new mount API: rearranging the filesystem view
    "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr",
    // namespaces: new user namespaces regain capabilities
    "unshare", "setns",
    // other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    // kernel attack surface with a history of exploits
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "open_by_handle_at",
    "name_to_handle_at", "fanotify_init", "lookup_dcookie", "vhangup", "uselib", "_sysctl",
    "nfsservctl", "quotactl", "quotactl_fd", "acct", "syslog", "iopl", "ioperm",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff",
    // the machine's clock
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime",
};

void add(scmp_filter_ctx ctx, int nr, unsigned count = 0, const scmp_arg_cmp* args = nullptr) {
  int rc = count ? seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), nr, count, args)
                 : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
  if (rc != 0 && rc != -EEXIST) throw Error("sandbox: seccomp: rule failed: " + std::string(std::strerror(-rc)));
}

std::vector<sock_filter> build() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) throw Error("sandbox: seccomp: seccomp_init failed");
  struct Release {
    scmp_filter_ctx c;
    ~Release() { seccomp_release(c); }
  } release{ctx};
  if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0)
    throw Error("sandbox: seccomp: cannot set bad-arch action");
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR || nr < 0) continue;  // not on this architecture
    add(ctx, nr);
  }
  // clone with any namespace flag (clone3 hides its flags in memory: refuse it with ENOSYS so
  // libc falls back to clone, whose flags we can see).
  constexpr std::uint64_t kNsFlags = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                     CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |
                                     0x00000080ULL /* CLONE_NEWTIME */;
  // "Any of these bits set" is one masked-equal rule per bit.
  for (std::uint64_t bit = 1; bit; bit <<= 1) {
    if (!(kNsFlags & bit)) continue;
    scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit);
    add(ctx, SCMP_SYS(clone), 1, &c);
  }
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0)
    throw Error("sandbox: seccomp: clone3 rule failed");
  // Terminal injection into whoever shares a tty with us.
  for (unsigned long req : {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)}) {
    scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, req);
    add(ctx, SCMP_SYS(ioctl), 1, &c);
  }
  // Sockets: only unix, IPv4 and IPv6 (one rule per other family: libseccomp cannot OR
  // comparisons of one argument), and never raw or packet sockets.
  scmp_arg_cmp below_unix = SCMP_A0(SCMP_CMP_LT, AF_UNIX);
  add(ctx, SCMP_SYS(socket), 1, &below_unix);
  for (int family = AF_UNIX + 1; family < AF_MAX; ++family) {
    if (family == AF_INET || family == AF_INET6) continue;
    scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family));
    add(ctx, SCMP_SYS(socket), 1, &c);
    add(ctx, SCMP_SYS(socketpair), 1, &c);
  }
  scmp_arg_cmp at_or_above_max = SCMP_A0(SCMP_CMP_GE, AF_MAX);
  add(ctx, SCMP_SYS(socket), 1, &at_or_above_max);
  scmp_arg_cmp raw = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW);
  add(ctx, SCMP_SYS(socket), 1, &raw);
  scmp_arg_cmp packet = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_PACKET);
  add(ctx, SCMP_SYS(socket), 1, &packet);
  // personality: READ_IMPLIES_EXEC would make every readable mapping executable.
  scmp_arg_cmp pers_other = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffUL, 0x0400000UL /*READ_IMPLIES_EXEC*/);
  add(ctx, SCMP_SYS(personality), 1, &pers_other);

  // Export the BPF program through a memfd: libseccomp 2.5 only writes it to a descriptor.
  UniqueFd mem(::memfd_create("ossa-seccomp", MFD_CLOEXEC));
  if (!mem) throw Error("sandbox: seccomp: memfd_create: " + std::string(std::strerror(errno)));
  if (int rc = seccomp_export_bpf(ctx, mem.get()); rc != 0)
    throw Error("sandbox: seccomp: export: " + std::string(std::strerror(-rc)));
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) throw Error("sandbox: seccomp: bad export");
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(mem.get(), program.data(), static_cast<size_t>(size), 0) != size)
    throw Error("sandbox: seccomp: reading the export failed");
  return program;
}

}  // namespace

const std::vector<sock_filter>& seccomp_program() {
  static std::once_flag once;
  static std::vector<sock_filter> program;
  std::call_once(once, [] { program = build(); });
  return program;
}

void apply_seccomp(const ChildPlan& plan) {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(plan.seccomp_program.size());
  prog.filter = const_cast<sock_filter*>(plan.seccomp_program.data());
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
    child_fail("seccomp: install filter", errno);
}

}  // namespace ossa::sandbox
