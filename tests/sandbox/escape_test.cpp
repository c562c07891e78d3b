// The escapes of issue 17, each reproduced as the attack was written: the sandboxed program
// tries, and the test checks the host (not only what the program reported).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/sandbox/sandbox_fixture.hpp"

namespace ossa::sandbox::test {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every file under `dir` (symlinks not followed) whose mode carries a set-id bit.
std::vector<std::string> set_id_files(const std::filesystem::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)))
      found.push_back(e.path().filename().string());
  }
  return found;
}

// Item 1: `shutil.copy('/usr/bin/id', ...); os.chmod(..., 0o4755)` from the python tool left a
// root-owned set-uid binary in the user's folder. Every way to put a set-id bit in a mode:
// chmod family, creation with a mode, raw syscalls with junk in the high bits.
TEST_F(SandboxTest, SetIdBitsNeverReachTheHost) {
  Output o = py(R"(
import ctypes, errno, os, shutil
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
AT_FDCWD = -100
def sys(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return r, ctypes.get_errno()
shutil.copy('/usr/bin/id', '/workspace/x')
try:
    os.chmod('/workspace/x', 0o4755)
    print('os.chmod 4755 succeeded')
except PermissionError:
    pass
try:
    os.chmod('/workspace/x', 0o2755)
    print('os.chmod 2755 succeeded')
except PermissionError:
    pass
x = b'/workspace/x'
fd = os.open('/workspace/x', os.O_RDONLY)
attempts = {
    'chmod': (90, x, 0o4755),
    'chmod high bits': (90, x, 0x10000 | 0o4755),
    'fchmod': (91, fd, 0o6755),
    'fchmodat': (268, AT_FDCWD, x, 0o4755),
    'fchmodat2': (452, AT_FDCWD, x, 0o4755, 0),
    'open O_CREAT': (2, b'/workspace/o', os.O_CREAT | os.O_WRONLY, 0o4755),
    'openat O_CREAT': (257, AT_FDCWD, b'/workspace/oa', os.O_CREAT | os.O_WRONLY, 0o4755),
    'openat O_CREAT|O_EXCL': (257, AT_FDCWD, b'/workspace/oe', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o2755),
    'creat': (85, b'/workspace/c', 0o4755),
    'mknod': (133, b'/workspace/n', 0o100000 | 0o4755, 0),
    'mknodat': (259, AT_FDCWD, b'/workspace/na', 0o100000 | 0o6755, 0),
    'mkdir': (83, b'/workspace/d', 0o2755),
    'mkdirat': (258, AT_FDCWD, b'/workspace/da', 0o2755),
}
for name, (nr, *args) in attempts.items():
    r, err = sys(nr, *args)
    if r >= 0:
        print(name, 'was allowed')
    elif err != errno.EPERM:
        print(name, 'failed with', errno.errorcode.get(err, err), 'not EPERM')
# O_TMPFILE then linkat: an anonymous file created with the bits, then given a name.
r, err = sys(257, AT_FDCWD, b'/workspace', os.O_TMPFILE | os.O_WRONLY, 0o4755)
if r >= 0:
    os.link('/proc/self/fd/%d' % r, '/workspace/t', follow_symlinks=True)
    print('O_TMPFILE with 4755 was allowed')
# openat2 keeps its mode in a struct the filter cannot read: not available at all.
how = (ctypes.c_uint64 * 3)(os.O_CREAT | os.O_WRONLY, 0o4755, 0)
r, err = sys(437, AT_FDCWD, b'/workspace/o2', ctypes.byref(how), ctypes.c_long(24))
if r >= 0 or err != errno.ENOSYS:
    print('openat2 was not refused with ENOSYS:', r, err)
# Ordinary modes still work.
os.chmod('/workspace/x', 0o755)
os.close(os.open('/workspace/plain', os.O_CREAT | os.O_WRONLY, 0o644))
os.mkdir('/workspace/plaindir', 0o1777)
print('ok')
)");
  EXPECT_TRUE(PrintedOk(o));
  EXPECT_EQ(set_id_files(workspace_), std::vector<std::string>{});
  struct stat st;
  ASSERT_EQ(::stat((workspace_ / "x").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

// Item 1, third part: as root via sudo, what the sandbox writes belongs to the user who ran
// sudo, not to host root.
TEST_F(SandboxTest, UnderSudoFilesBelongToTheInvokingUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (ossa run through sudo)";
  struct SudoEnv {
    SudoEnv() {
      ::setenv("SUDO_UID", "4242", 1);
      ::setenv("SUDO_GID", "4343", 1);
    }
    ~SudoEnv() {
      ::unsetenv("SUDO_UID");
      ::unsetenv("SUDO_GID");
    }
  } sudo;
  // The user's folder is theirs and reachable by them (the scratch parent is mkdtemp's 0700).
  std::filesystem::permissions(root_, std::filesystem::perms(0755));
  ASSERT_EQ(::chown(workspace_.c_str(), 4242, 4343), 0);
  Output o = sh("echo hi > /workspace/f && mkdir /workspace/d && cat /proc/self/uid_map && echo ok");
  ASSERT_TRUE(PrintedOk(o));
  EXPECT_NE(o.out.find("4242"), std::string::npos) << o.out;
  for (const char* name : {"f", "d"}) {
    struct stat st;
    ASSERT_EQ(::stat((workspace_ / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_uid, 4242u) << name;
    EXPECT_EQ(st.st_gid, 4343u) << name;
  }
}

// Item 1: the workspace mount carries nosuid and nodev, whichever way it was made.
TEST_F(SandboxTest, WorkspaceIsMountedNosuidNodev) {
  EXPECT_TRUE(PrintedOk(py(R"(
for line in open('/proc/self/mountinfo'):
    f = line.split()
    if f[4] == '/workspace':
        opts = f[5].split(',')
        assert 'nosuid' in opts and 'nodev' in opts, line
        break
else:
    raise SystemExit('no /workspace mount')
print('ok')
)")));
}

// Item 3: .git (and the other metadata directories) are read-only inside; the host copy is
// unchanged after every attempt.
TEST_F(SandboxTest, GitMetadataIsReadOnlyInside) {
  std::filesystem::create_directories(workspace_ / ".git" / "hooks");
  std::ofstream(workspace_ / ".git" / "config") << "[core]\n\tbare = false\n";
  std::filesystem::create_directories(workspace_ / ".ossa");
  Output o = py(R"(
import errno, os, shutil
def refused(what, f):
    try:
        f()
    except OSError as e:
        if e.errno not in (errno.EROFS, errno.EBUSY, errno.EPERM, errno.EACCES):
            print(what, 'failed with', e)
        return
    print(what, 'succeeded')
refused('append to .git/config', lambda: open('/workspace/.git/config', 'a').write('\tfsmonitor = touch /tmp/pwned\n'))
refused('create a hook', lambda: open('/workspace/.git/hooks/pre-commit', 'w').write('#!/bin/sh\n'))
refused('rename .git', lambda: os.rename('/workspace/.git', '/workspace/old-git'))
refused('remove .git', lambda: shutil.rmtree('/workspace/.git'))
refused('write into .ossa', lambda: open('/workspace/.ossa/config.toml', 'w').write('x'))
assert open('/workspace/.git/config').read().startswith('[core]')
open('/workspace/other', 'w').write('still writable')
print('ok')
)");
  EXPECT_TRUE(PrintedOk(o));
  EXPECT_EQ(read_file(workspace_ / ".git" / "config"), "[core]\n\tbare = false\n");
  EXPECT_FALSE(std::filesystem::exists(workspace_ / ".git" / "hooks" / "pre-commit"));
  EXPECT_FALSE(std::filesystem::exists(workspace_ / ".ossa" / "config.toml"));
  EXPECT_TRUE(std::filesystem::exists(workspace_ / "other"));
}

TEST_F(SandboxTest, GitMetadataIsWritableWhenOptedOut) {
  std::filesystem::create_directories(workspace_ / ".git" / "hooks");
  std::ofstream(workspace_ / ".git" / "config") << "[core]\n";
  policy_.protect_git = false;
  EXPECT_TRUE(PrintedOk(py(R"(
open('/workspace/.git/config', 'a').write('\tautocrlf = false\n')
open('/workspace/.git/hooks/pre-commit', 'w').write('#!/bin/sh\n')
print('ok')
)")));
  EXPECT_EQ(read_file(workspace_ / ".git" / "config"), "[core]\n\tautocrlf = false\n");
  EXPECT_TRUE(std::filesystem::exists(workspace_ / ".git" / "hooks" / "pre-commit"));
}

// A .git that is a file (worktrees, submodules) is protected the same way.
TEST_F(SandboxTest, GitFileIsReadOnlyInside) {
  std::ofstream(workspace_ / ".git") << "gitdir: ../elsewhere\n";
  EXPECT_TRUE(PrintedOk(py(R"(
try:
    open('/workspace/.git', 'w').write('gitdir: /tmp/evil\n')
    print('rewrote .git')
except OSError:
    pass
print('ok')
)")));
  EXPECT_EQ(read_file(workspace_ / ".git"), "gitdir: ../elsewhere\n");
}

// Item 7: the filter refused only the exact value READ_IMPLIES_EXEC, so a combination passed.
// Only the query and the default persona are allowed now.
TEST_F(SandboxTest, PersonalityCannotBeChanged) {
  EXPECT_TRUE(PrintedOk(py(R"(
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def personality(v):
    r = libc.syscall(ctypes.c_long(135), ctypes.c_ulong(v))
    return r, ctypes.get_errno()
before, _ = personality(0xffffffff)
ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC = 0x0040000, 0x0400000
for v in [ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC, READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, 0x0008,
          0xfffffffe, 0x7fffffff, 0x100000000 | READ_IMPLIES_EXEC]:
    r, err = personality(v)
    assert r == -1 and err == errno.EPERM, (hex(v), r, err)
    assert personality(0xffffffff)[0] == before, hex(v)
assert personality(0)[0] == before  # the default persona is still accepted
assert personality(0xffffffff)[0] == 0
print('ok')
)")));
}

// Item 7's review: socket families were compared as exact 64-bit values, so a family with junk
// in the (ignored) high bits slipped past the socketpair rules.
TEST_F(SandboxTest, SocketFamilyRulesIgnoreHighBits) {
  EXPECT_TRUE(PrintedOk(py(R"(
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
fds = (ctypes.c_int * 2)()
AF_NETLINK, AF_PACKET, SOCK_DGRAM, SOCK_RAW = 16, 17, 2, 3
for family in [AF_NETLINK, (1 << 32) | AF_NETLINK, (1 << 40) | AF_PACKET]:
    r = libc.syscall(ctypes.c_long(53), ctypes.c_long(family), ctypes.c_long(SOCK_DGRAM), ctypes.c_long(0), fds)
    assert r == -1 and ctypes.get_errno() == errno.EPERM, ('socketpair', hex(family), ctypes.get_errno())
    r = libc.syscall(ctypes.c_long(41), ctypes.c_long(family), ctypes.c_long(SOCK_RAW), ctypes.c_long(0))
    assert r == -1 and ctypes.get_errno() == errno.EPERM, ('socket', hex(family), ctypes.get_errno())
r = libc.syscall(ctypes.c_long(53), ctypes.c_long(1), ctypes.c_long(1), ctypes.c_long(0), fds)
assert r == 0, 'unix socketpair must work'
print('ok')
)")));
}

// Item 12: the sandbox's init is a copy of ossa; its command line, environment and memory must
// not be readable from inside.
TEST_F(SandboxTest, InitShowsNothingOfTheHostProcess) {
  ::setenv("OSSA_TEST_HOST_ONLY", "host-environment-value", 1);
  Output o = py(R"(
cmdline = open('/proc/1/cmdline', 'rb').read()
assert cmdline.strip(b'\0') == b'', cmdline
import os
for p in ['/proc/1/environ', '/proc/1/mem']:
    try:
        open(p, 'rb').close()
        raise SystemExit('opened ' + p)
    except PermissionError:
        pass
try:
    os.listdir('/proc/1/root/')
    raise SystemExit('listed init root')
except PermissionError:
    pass
print('ok')
)");
  ::unsetenv("OSSA_TEST_HOST_ONLY");
  EXPECT_TRUE(PrintedOk(o));
  EXPECT_EQ(o.out.find("host-environment-value"), std::string::npos);
}

}  // namespace
}  // namespace ossa::sandbox::test
