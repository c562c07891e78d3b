#pragma once
// Internal: everything the sandbox child needs, computed in the parent before clone.
//
// The child is cloned from a possibly multi-threaded process, so until it execs it must not
// allocate or take locks: every string and table it uses is prepared here, and the child-side
// steps (apply_*) only make system calls. Steps run in the order of spawn.cpp's child_main.
#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ossa::sandbox {

struct Policy;

// Fixed descriptor numbers inside the child, set up first thing after clone.
inline constexpr int kControlFd = 3;  // parent -> child: "ids mapped, cgroup joined" (+ fd)
inline constexpr int kErrorFd = 4;    // child -> parent: a ChildError when a step fails
inline constexpr int kStatusFd = 5;   // init -> parent: the command's wait status

struct ChildError {
  char step[96];
  int err;
};

// Reports a failed step to the parent and exits. Never returns.
[[noreturn]] void child_fail(const char* step, int err);

struct MountStep {
  enum class Kind {
    bind_ro,      // source (host path under /oldroot) -> target, read-only, nosuid, nodev
    bind_rw,      // same, writable
    bind_dev,     // a device node: empty file at target, then bind
    tmpfs,        // data = mount options
    proc,         // fresh proc of the pid namespace
    symlink,      // target -> source (link text)
    file,         // target created with contents `data`
    idmapped_ws,  // the workspace tree received from the parent (idmapped) moved to target
    protect_ro,   // target (inside the workspace), if there and a directory or regular file,
                  // covered by a read-only bind of itself; never through a symlink
  };
  Kind kind;
  std::string source;
  std::string target;
  std::string data;
  bool source_is_dir = true;
  bool read_only_after = false;  // tmpfs: made read-only once everything below is mounted
};

struct RlimitStep {
  int resource;
  rlimit value;
};

struct LandlockRule {
  std::string path;
  std::uint64_t access;  // LANDLOCK_ACCESS_FS_* bits (subset of what the ABI handles)
};

struct ChildPlan {
  // user namespace
  uid_t inside_uid = 0;
  gid_t inside_gid = 0;
  // mount namespace
  std::vector<MountStep> mounts;
  bool expect_workspace_fd = false;
  std::string cwd;
  // environment and command
  std::vector<std::string> argv_storage;
  std::vector<char*> argv;  // null-terminated, points into argv_storage
  std::vector<std::string> env_storage;
  std::vector<char*> envp;  // null-terminated
  std::vector<std::string> exec_candidates;  // absolute paths tried in order
  // ossa's own argv and environment strings, which the sandbox's init (a copy of ossa that
  // never execs) would otherwise show in its /proc/1/cmdline and environ: zeroed in the child
  std::uintptr_t host_args_begin = 0, host_args_end = 0, host_env_begin = 0, host_env_end = 0;
  // limits
  std::vector<RlimitStep> rlimits;
  // landlock (abi 0: skipped)
  int landlock_abi = 0;
  std::vector<LandlockRule> landlock_rules;
  // seccomp
  std::vector<sock_filter> seccomp_program;
  // capabilities
  int cap_last = 40;
};

// Parent side: fills the plan from the policy.
void plan_environment(const Policy& policy, const std::vector<std::string>& argv,
                      ChildPlan& plan);
void plan_mounts(const Policy& policy, bool idmapped_workspace, ChildPlan& plan);
// workspace_room: bytes the workspace budget leaves (0: no budget); no file may grow past it.
void plan_rlimits(const Policy& policy, bool cgroup_memory, bool cgroup_pids, std::uint64_t workspace_room,
                  ChildPlan& plan);
void plan_landlock(const Policy& policy, int abi, ChildPlan& plan);
const std::vector<sock_filter>& seccomp_program();  // built once with libseccomp
int landlock_abi();                                  // 0 when unavailable
int last_capability();

// Child side, in pipeline order.
void apply_user_namespace(const ChildPlan& plan);
void apply_mounts(const ChildPlan& plan, int workspace_fd);
void apply_hostname();
void apply_loopback();
void apply_rlimits(const ChildPlan& plan);
void apply_no_new_privs();
void apply_landlock(const ChildPlan& plan);
void apply_capabilities_drop(const ChildPlan& plan);
void apply_seccomp(const ChildPlan& plan);

}  // namespace ossa::sandbox
