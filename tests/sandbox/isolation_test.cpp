// Each isolation property shown from the inside: a program tries, the test asserts it failed
// the expected way. Nothing here touches anything but loopback.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/sandbox/sandbox_fixture.hpp"

namespace ossa::sandbox::test {
namespace {

TEST_F(SandboxTest, HostSecretsAreNotThere) {
  EXPECT_TRUE(PrintedOk(py(R"(
import os
for p in ['/etc/shadow', '/root', '/home', '/etc/ssh', '/var', '/run', '/boot', '/work', '/srv']:
    assert not os.path.exists(p), p
assert set(os.listdir('/')) <= {'bin','sbin','lib','lib32','lib64','libx32','usr','etc','proc','dev','tmp','workspace'}, os.listdir('/')
assert 'root:x:0:0' in open('/etc/passwd').read() and len(open('/etc/passwd').read().splitlines()) == 2
print('ok')
)")));
}

TEST_F(SandboxTest, ParentEnvironmentDoesNotLeak) {
  ::setenv("OSSA_TEST_SECRET_API_KEY", "sk-do-not-leak", 1);
  policy_.env = {{"GIVEN", "yes"}};
  Output o = py(R"(
import os
print(sorted(os.environ.items()))
assert 'OSSA_TEST_SECRET_API_KEY' not in os.environ
assert os.environ['GIVEN'] == 'yes'
assert set(os.environ) == {'GIVEN', 'PATH', 'HOME', 'LANG'}, set(os.environ)
print('ok')
)");
  ::unsetenv("OSSA_TEST_SECRET_API_KEY");
  EXPECT_TRUE(PrintedOk(o));
  EXPECT_EQ(o.out.find("sk-do-not-leak"), std::string::npos);
}

TEST_F(SandboxTest, ParentProcessesAndMemoryAreInvisible) {
  EXPECT_TRUE(PrintedOk(py("host_pid = " + std::to_string(::getpid()) + R"(
import os, ctypes, errno
for p in ['/proc/%d/mem' % host_pid, '/proc/%d/environ' % host_pid]:
    assert not os.path.exists(p), p
assert os.getpid() == 2 and os.getppid() == 1, (os.getpid(), os.getppid())
pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
assert pids == [1, 2], pids
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]
buf = ctypes.create_string_buffer(16)
local = iovec(ctypes.cast(buf, ctypes.c_void_p), 16); remote = iovec(0x400000, 16)
r = libc.process_vm_readv(1, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
assert r == -1 and ctypes.get_errno() == errno.EPERM, ctypes.get_errno()
print('ok')
)")));
}

TEST_F(SandboxTest, RunsAsRootOfItsOwnUserNamespaceWithoutPrivileges) {
  EXPECT_TRUE(PrintedOk(py(R"(
import os
assert os.getuid() == 0
host_uid = int(open('/proc/self/uid_map').read().split()[1])
assert host_uid != 0, 'inside root must not be host root'
st = dict(l.split(':\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\t' in l)
for k in ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']:
    assert int(st[k], 16) == 0, (k, st[k])
assert st['NoNewPrivs'].strip() == '1'
assert st['Seccomp'].strip() == '2'
print('ok')
)")));
}

TEST_F(SandboxTest, WritesOnlyLandInTheWorkspace) {
  Output o = py(R"(
import os, errno
for p in ['/usr/evil', '/etc/evil', '/evil', '/bin/evil', '/dev/evil', '/proc/evil']:
    try:
        open(p, 'w'); raise SystemExit('wrote ' + p)
    except OSError as e:
        assert e.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT), (p, e)
try:
    open('/proc/sys/kernel/hostname', 'w').write('x'); raise SystemExit('wrote hostname')
except OSError:
    pass
open('/workspace/out.txt', 'w').write('from inside')
open('/tmp/private.txt', 'w').write('tmp')
print('ok')
)");
  EXPECT_TRUE(PrintedOk(o));
  std::ifstream in(workspace_ / "out.txt");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "from inside");
  EXPECT_FALSE(std::filesystem::exists("/tmp/private.txt"));
}

TEST_F(SandboxTest, SymlinkHardlinkAndDotDotEscapesFail) {
  // A secret next to the workspace, and links to it planted in the workspace from the host.
  std::ofstream(root_ / "secret.txt") << "host secret";
  std::filesystem::create_symlink(root_ / "secret.txt", workspace_ / "abs_link");
  std::filesystem::create_symlink("../secret.txt", workspace_ / "rel_link");
  Output o = py(R"(
import os, errno
for p in ['/workspace/abs_link', '/workspace/rel_link', '/workspace/../secret.txt',
          '/workspace/../../../secret.txt']:
    try:
        open(p).read(); raise SystemExit('read ' + p)
    except FileNotFoundError:
        pass
os.symlink('/etc/shadow', '/workspace/to_shadow')
try:
    open('/workspace/to_shadow').read(); raise SystemExit('read shadow')
except FileNotFoundError:
    pass
for src in ['/usr/bin/python3', '/etc/passwd']:
    try:
        os.link(src, '/workspace/hard'); raise SystemExit('hardlinked ' + src)
    except OSError as e:
        assert e.errno in (errno.EXDEV, errno.EPERM, errno.EACCES), e
print('ok')
)");
  EXPECT_TRUE(PrintedOk(o));
  EXPECT_EQ(o.out.find("host secret"), std::string::npos);
}

TEST_F(SandboxTest, MountUnshareAndPtraceAreDenied) {
  EXPECT_TRUE(PrintedOk(py(R"(
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
def fails(what, r):
    assert r == -1 and ctypes.get_errno() == errno.EPERM, (what, r, ctypes.get_errno())
fails('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))
fails('umount', libc.umount2(b'/workspace', 2))
fails('unshare user', libc.unshare(0x10000000))
fails('unshare mount', libc.unshare(0x00020000))
fails('setns', libc.setns(os.open('/proc/self/ns/net', os.O_RDONLY), 0))
fails('ptrace attach init', libc.ptrace(16, 1, None, None))
fails('chroot', libc.chroot(b'/tmp'))
fails('bpf', libc.syscall(321, 0, None, 0))
fails('keyctl', libc.syscall(250, 0, 0, 0, 0))
fails('userfaultfd', libc.syscall(323, 0))
fails('io_uring_setup', libc.syscall(425, 1, None))
fails('perf_event_open', libc.syscall(298, None, 0, -1, -1, 0))
fails('open_tree', libc.syscall(428, -100, b'/', 1))
fails('clone newuser', libc.syscall(56, 0x10000000 | 17, None, None, None, None))
assert libc.syscall(435, None, 0) == -1 and ctypes.get_errno() == errno.ENOSYS  # clone3
print('ok')
)")));
}

// The same i386 getpid through `int $0x80`, run by an unsandboxed python: how this host answers
// the foreign ABI before any filter is applied.
constexpr const char* kInt80Snippet = R"(
import ctypes, mmap
code = bytes([0xb8, 0x14, 0, 0, 0, 0xcd, 0x80, 0xc3])  # mov eax, 20 (getpid); int 0x80; ret
m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(code)
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
ctypes.CFUNCTYPE(ctypes.c_int)(addr)()
print('survived')
)";

// The signal an unsandboxed `int $0x80` dies of (0 when the call succeeds). Kernels built or
// booted without ia32 emulation (e.g. ia32_emulation=0, default on some 6.x configurations)
// fault the instruction with SIGSEGV before any seccomp filter can see it.
int UnsandboxedInt80Signal() {
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    ::execl("/usr/bin/python3", "python3", "-c", kInt80Snippet, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST_F(SandboxTest, ForeignSyscallAbiKillsTheProcess) {
  // int 0x80 (the i386 ABI) from a 64-bit process: the filter only judges native numbers, so it
  // kills anything else with SIGSYS. Where the host itself has no ia32 emulation, the kernel
  // faults the instruction first (SIGSEGV): the foreign ABI is just as unusable. Either way the
  // call must never succeed.
  const int host_signal = UnsandboxedInt80Signal();
  Output o = py(kInt80Snippet);
  EXPECT_EQ(o.out.find("survived"), std::string::npos) << o.out << o.err;
  if (host_signal == SIGSEGV) {
    EXPECT_TRUE(o.result.signal == SIGSYS || o.result.signal == SIGSEGV)
        << "signal " << o.result.signal << "\n" << o.out << o.err;
  } else {
    EXPECT_EQ(o.result.signal, SIGSYS) << "host probe signal " << host_signal << "\n" << o.out << o.err;
  }
}

TEST_F(SandboxTest, CannotSignalHostProcesses) {
  pid_t victim = ::fork();
  ASSERT_GE(victim, 0);
  if (victim == 0) {
    ::pause();
    ::_exit(0);
  }
  Output o = py("import os, signal, errno\n"
                "try:\n"
                "    os.kill(" + std::to_string(victim) + ", signal.SIGKILL)\n"
                "except ProcessLookupError:\n"
                "    pass\n"
                "try:\n"
                "    os.kill(-1, signal.SIGKILL)\n"  // everything this process may signal
                "except ProcessLookupError:\n"
                "    pass\n"
                "print('ok')\n");
  // kill(-1) takes the sandbox's own processes only; the host child must survive.
  EXPECT_EQ(::kill(victim, 0), 0) << "host process was killed from inside";
  ::kill(victim, SIGKILL);
  ::waitpid(victim, nullptr, 0);
  EXPECT_TRUE(PrintedOk(o));
}

TEST_F(SandboxTest, NoNetworkEgressNotEvenHostLoopback) {
  // A real listener on the host's 127.0.0.1: the sandbox's 127.0.0.1 is its own.
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  Output o = py("import socket, errno\n"
                "port = " + std::to_string(port) + "\n" + R"(
s = socket.socket(); s.settimeout(2)
try:
    s.connect(('127.0.0.1', port)); raise SystemExit('reached the host loopback service')
except ConnectionRefusedError:
    pass
for addr in ['10.255.255.1', '192.0.2.1']:   # private / TEST-NET: no route exists in here
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect((addr, 80)); raise SystemExit('connected to ' + addr)
    except OSError as e:
        assert e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH), e
ifaces = [l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]]
assert ifaces == ['lo'], ifaces
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen()   # own loopback works
c = socket.create_connection(srv.getsockname(), timeout=2); c.close()
print('ok')
)");
  EXPECT_TRUE(PrintedOk(o));
  ::close(listener);
}

TEST_F(SandboxTest, ForbiddenSocketFamiliesAreRefused) {
  EXPECT_TRUE(PrintedOk(py(R"(
import socket, errno
def refused(*args):
    try:
        socket.socket(*args); raise SystemExit('opened %r' % (args,))
    except PermissionError:
        pass
refused(socket.AF_NETLINK, socket.SOCK_RAW, 0)
refused(socket.AF_NETLINK, socket.SOCK_DGRAM, 0)
refused(socket.AF_PACKET, socket.SOCK_RAW, 0)
refused(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
refused(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
refused(40, socket.SOCK_STREAM, 0)  # AF_VSOCK
refused(38, socket.SOCK_SEQPACKET, 0)  # AF_ALG
socket.socket(socket.AF_UNIX).close(); socket.socket(socket.AF_INET6).close()
a, b = socket.socketpair(); a.close(); b.close()
print('ok')
)")));
}

}  // namespace
}  // namespace ossa::sandbox::test
