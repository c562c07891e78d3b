// Resource limits per process: the backstop behind the cgroup (which limits the whole tree)
// and the only limit where no cgroup is writable.
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

#include "sandbox/child_plan.hpp"
#include "sandbox/sandbox.hpp"

namespace ossa::sandbox {
namespace {

void add(ChildPlan& plan, int resource, rlim_t soft, rlim_t hard) {
  plan.rlimits.push_back({resource, rlimit{soft, hard}});
}

}  // namespace

void plan_rlimits(const Policy& policy, bool cgroup_memory, bool cgroup_pids, std::uint64_t workspace_room,
                  ChildPlan& plan) {
  const Limits& l = policy.limits;
  // SIGXCPU at the limit, SIGKILL one second later.
  if (l.cpu_seconds) add(plan, RLIMIT_CPU, l.cpu_seconds, l.cpu_seconds + 1);
  // Address space is a crude memory limit (it counts reservations), so only without a cgroup.
  if (l.memory_bytes && !cgroup_memory) add(plan, RLIMIT_AS, l.memory_bytes, l.memory_bytes);
  // Counted per uid of the sandbox's own user namespace. With a pids cgroup the cgroup is the
  // exact limit, and this stays a loose backstop.
  if (l.max_processes) {
    rlim_t n = cgroup_pids ? static_cast<rlim_t>(l.max_processes) * 2 : l.max_processes;
    add(plan, RLIMIT_NPROC, n, n);
  }
  // No file may outgrow the room the workspace budget leaves: the kernel fails that write
  // exactly (EFBIG), where the budget's watcher can only kill after the fact.
  std::uint64_t file_bytes = l.max_file_bytes;
  if (workspace_room) file_bytes = file_bytes ? std::min(file_bytes, workspace_room) : workspace_room;
  if (file_bytes) add(plan, RLIMIT_FSIZE, file_bytes, file_bytes);
  if (l.max_open_files) add(plan, RLIMIT_NOFILE, l.max_open_files, l.max_open_files);
  add(plan, RLIMIT_CORE, 0, 0);
  add(plan, RLIMIT_MEMLOCK, 64 << 10, 64 << 10);
  add(plan, RLIMIT_MSGQUEUE, 0, 0);
}

void apply_rlimits(const ChildPlan& plan) {
  for (const RlimitStep& r : plan.rlimits) {
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &r.value) != 0)
      child_fail("rlimits: setrlimit", errno);
  }
}

}  // namespace ossa::sandbox
