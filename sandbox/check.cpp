// Probing which layers the kernel allows: each namespace in a throwaway clone, seccomp and
// Landlock through their feature queries, cgroups by creating a directory, and finally the
// whole pipeline on /bin/true.
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

#include "sandbox/cgroup.hpp"
#include "sandbox/child_plan.hpp"
#include "sandbox/sandbox.hpp"

namespace ossa::sandbox {
namespace {

// 0 when a child can be cloned with these flags, else errno.
int try_clone(std::uint64_t flags) {
  clone_args args{};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return errno;
  if (pid == 0) ::_exit(0);
  ::waitpid(static_cast<pid_t>(pid), nullptr, __WALL);
  return 0;
}

Layer ns_layer(const char* name, std::uint64_t flag) {
  // Namespaces other than the user namespace are created inside a new user namespace, as the
  // sandbox does, so that an unprivileged caller gets the same answer as the sandbox.
  int err = try_clone(CLONE_NEWUSER | flag);
  return {name, err == 0, true, err == 0 ? "ok" : std::strerror(err)};
}

std::vector<Layer> probe_layers() {
  std::vector<Layer> layers;
  layers.push_back(ns_layer("user namespace", 0));
  layers.push_back(ns_layer("mount namespace", CLONE_NEWNS));
  layers.push_back(ns_layer("pid namespace", CLONE_NEWPID));
  layers.push_back(ns_layer("network namespace", CLONE_NEWNET));
  layers.push_back(ns_layer("ipc namespace", CLONE_NEWIPC));
  layers.push_back(ns_layer("uts namespace", CLONE_NEWUTS));
  layers.push_back(ns_layer("cgroup namespace", CLONE_NEWCGROUP));
  {
    std::uint32_t action = SECCOMP_RET_ERRNO;
    bool ok = ::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
    std::string detail = ok ? "filter mode" : std::strerror(errno);
    if (ok) {
      try {
        detail += ", " + std::to_string(seccomp_program().size()) + " BPF instructions";
      } catch (const Error& e) {
        ok = false;
        detail = e.what();
      }
    }
    layers.push_back({"seccomp", ok, true, detail});
  }
  {
    int abi = landlock_abi();
    layers.push_back({"landlock", abi > 0, false,
                      abi > 0 ? "ABI " + std::to_string(abi) : "not available"});
  }
  for (const char* name : {"memory", "pids", "cpu"}) {
    Layer l{std::string("cgroup ") + name, false, false, "no writable cgroup offers it"};
    for (const auto& c : Cgroup::available()) {
      if (c.name != name) continue;
      l.available = true;
      l.detail = std::string(c.v2 ? "v2 " : "v1 ") + c.parent;
    }
    layers.push_back(l);
  }
  {
    Layer l{"full pipeline (/bin/true)", false, true, ""};
    try {
      Policy policy;
      policy.allow_degraded = true;
      auto t0 = std::chrono::steady_clock::now();
      Output o = Sandbox::run(policy, {"/bin/true"});
      auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
      l.available = o.result.exit_code == 0;
      l.detail = l.available ? "ok, " + std::to_string(ms.count()) + " ms"
                             : "exit status " + std::to_string(o.result.status()) + ": " + o.err;
    } catch (const Error& e) {
      l.detail = e.what();
    }
    layers.push_back(l);
  }
  return layers;
}

}  // namespace

std::vector<Layer> Sandbox::check() {
  static std::once_flag once;
  static std::vector<Layer> layers;
  std::call_once(once, [] { layers = probe_layers(); });
  return layers;
}

}  // namespace ossa::sandbox
