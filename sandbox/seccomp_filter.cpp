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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

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

// Every argument rule below compares with a mask, never an exact value: the kernel reads most
// of these arguments as 32-bit ints (a 16-bit umode_t for modes), so an exact 64-bit comparison
// is dodged by setting unused high bits, and an exact value misses combinations of flags.
constexpr scmp_datum_t kLow32 = 0xffffffffULL;

// socket/socketpair families other than AF_UNIX, AF_INET, AF_INET6. The kernel truncates the
// family to an int, so only the low 32 bits count: each family below 64 is refused by value,
// anything at or above 64 (including families newer than these headers) by its high bits.
void deny_socket_families(scmp_filter_ctx ctx) {
  for (int nr : {SCMP_SYS(socket), SCMP_SYS(socketpair)}) {
    for (scmp_datum_t family = 0; family < 64; ++family) {
      if (family == AF_UNIX || family == AF_INET || family == AF_INET6) continue;
      scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, kLow32, family);
      add(ctx, nr, 1, &c);
    }
    for (scmp_datum_t bit = 64; bit <= 0x80000000ULL; bit <<= 1) {
      scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit);
      add(ctx, nr, 1, &c);
    }
  }
}

// personality: only the query (0xffffffff) and the default persona (PER_LINUX, 0) pass; any
// other value (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, in any combination) is refused. The
// kernel takes the low 32 bits. "All 32 bits equal" cannot be one libseccomp comparison, so:
// a 32-bit value that is neither all zeros nor all ones has, going round the word, some bit
// that is set while the next one is clear; one masked rule per adjacent pair catches it.
void deny_personality_changes(scmp_filter_ctx ctx) {
  for (unsigned i = 0; i < 32; ++i) {
    const scmp_datum_t bit = 1ULL << i, next = 1ULL << ((i + 1) % 32);
    scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, bit | next, bit);
    add(ctx, SCMP_SYS(personality), 1, &c);
  }
}

// Set-user-id / set-group-id bits. The workspace is the user's folder on the host, and files
// created there by the sandbox's root land owned by the invoking user (or by host root when
// ossa runs as root without sudo): a set-id bit would make a program the model wrote run with
// those ids on the host. No mode argument may carry S_ISUID or S_ISGID: chmod family always,
// open/openat only when they create (O_CREAT, O_TMPFILE; without them the mode is ignored and
// may hold garbage), creat, mkdir and mknod always. openat2 hides its mode in a struct the
// filter cannot read: it gets ENOSYS, and libc and runtimes fall back to openat.
void deny_set_id_modes(scmp_filter_ctx ctx) {
  struct ModeArg {
    int nr;
    unsigned mode_arg;
    int flags_arg;  // -1: the call always creates (or always applies the mode)
  };
  const int fchmodat2 = seccomp_syscall_resolve_name("fchmodat2");
  std::vector<ModeArg> calls = {
      {SCMP_SYS(chmod), 1, -1},  {SCMP_SYS(fchmod), 1, -1}, {SCMP_SYS(fchmodat), 2, -1},
      {SCMP_SYS(creat), 1, -1},  {SCMP_SYS(mkdir), 1, -1},  {SCMP_SYS(mkdirat), 2, -1},
      {SCMP_SYS(mknod), 1, -1},  {SCMP_SYS(mknodat), 2, -1}, {SCMP_SYS(open), 2, 1},
      {SCMP_SYS(openat), 3, 2},
  };
  // libseccomp 2.5.4 knows fchmodat2 by name; older ones still accept the x86-64 number.
  calls.push_back({fchmodat2 > 0 ? fchmodat2 : 452, 2, -1});
  constexpr scmp_datum_t kTmpfile = 020000000;  // __O_TMPFILE (O_TMPFILE also sets O_DIRECTORY)
  for (const ModeArg& call : calls) {
    for (scmp_datum_t bit : {static_cast<scmp_datum_t>(S_ISUID), static_cast<scmp_datum_t>(S_ISGID)}) {
      scmp_arg_cmp mode{call.mode_arg, SCMP_CMP_MASKED_EQ, bit, bit};
      if (call.flags_arg < 0) {
        add(ctx, call.nr, 1, &mode);
        continue;
      }
      for (scmp_datum_t creating : {static_cast<scmp_datum_t>(O_CREAT), kTmpfile}) {
        scmp_arg_cmp both[2] = {
            {static_cast<unsigned>(call.flags_arg), SCMP_CMP_MASKED_EQ, creating, creating}, mode};
        add(ctx, call.nr, 2, both);
      }
    }
  }
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) != 0)
    throw Error("sandbox: seccomp: openat2 rule failed");
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
  // Sockets: only unix, IPv4 and IPv6, and never raw or packet sockets.
  deny_socket_families(ctx);
  scmp_arg_cmp raw = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW);
  add(ctx, SCMP_SYS(socket), 1, &raw);
  scmp_arg_cmp packet = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_PACKET);
  add(ctx, SCMP_SYS(socket), 1, &packet);
  deny_personality_changes(ctx);
  deny_set_id_modes(ctx);

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
