// User namespace: the sandbox is uid/gid 0 inside, an unprivileged id outside.
#include "sandbox/user_namespace.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sandbox/child_plan.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/unique_fd.hpp"

namespace ossa::sandbox {
namespace {

void write_proc_file(pid_t pid, const char* name, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw Error("sandbox: user namespace: cannot write " + std::string(name) + ": " +
                std::strerror(errno));
  }
}

}  // namespace

namespace {

// A positive decimal id from the environment, or -1.
long long id_from_env(const char* name) {
  const char* text = std::getenv(name);
  if (!text || !*text) return -1;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || v <= 0 || v >= 0xffffffffLL) return -1;
  return v;
}

}  // namespace

IdMapping choose_id_mapping() {
  if (::geteuid() != 0) return IdMapping{::geteuid(), ::getegid(), false};
  // Root via sudo: the sandbox acts as the user who ran sudo, so what it writes in their folder
  // is theirs, never host root's (a root-owned file there is one chmod away from a set-uid root
  // binary, and the user cannot even delete it).
  const long long uid = id_from_env("SUDO_UID"), gid = id_from_env("SUDO_GID");
  if (uid > 0 && gid > 0)
    return IdMapping{static_cast<uid_t>(uid), static_cast<gid_t>(gid), false};
  return IdMapping{kSandboxHostId, kSandboxHostId, true};
}

void write_id_maps(pid_t pid, const IdMapping& ids) {
  // setgroups must be denied before an unprivileged caller may write gid_map; as root it also
  // keeps the sandbox from dropping supplementary groups to get around "deny" permissions.
  write_proc_file(pid, "setgroups", "deny");
  write_proc_file(pid, "uid_map", "0 " + std::to_string(ids.host_uid) + " 1\n");
  write_proc_file(pid, "gid_map", "0 " + std::to_string(ids.host_gid) + " 1\n");
}

void apply_user_namespace(const ChildPlan& plan) {
  // Raw system calls, not glibc's setresgid/setresuid: the child comes from a raw clone3 of a
  // multi-threaded ossa, and glibc's wrappers broadcast the id change to every thread in the
  // thread list it inherited, waiting forever for threads that do not exist in the child (seen:
  // one spawn in a few hung in setxid_mark_thread). The child has a single thread, so the plain
  // per-thread system call is exactly what is wanted.
  if (::syscall(SYS_setresgid, plan.inside_gid, plan.inside_gid, plan.inside_gid) != 0)
    child_fail("user namespace: setresgid", errno);
  if (::syscall(SYS_setresuid, plan.inside_uid, plan.inside_uid, plan.inside_uid) != 0)
    child_fail("user namespace: setresuid", errno);
}

}  // namespace ossa::sandbox
