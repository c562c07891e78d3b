#pragma once
// Internal: which host ids the sandbox's uid/gid 0 map to, and writing the maps.
#include <sys/types.h>

namespace ossa::sandbox {

struct IdMapping {
  uid_t host_uid;
  gid_t host_gid;
  bool caller_is_root;  // root without sudo: host ids are a dedicated unprivileged pair, never 0
};

// Host uid/gid 0 never appear in the sandbox: as root via sudo (SUDO_UID/SUDO_GID set) the
// sandbox gets the invoking user's ids, like an unprivileged caller; as plain root it gets
// kSandboxHostId (RLIMIT_NPROC is not enforced for host uid 0, and the code must never hold
// host root) with an idmapped workspace; otherwise the caller's own ids.
inline constexpr uid_t kSandboxHostId = 1000000;
IdMapping choose_id_mapping();

// Writes setgroups=deny, uid_map and gid_map of `pid` (in its new user namespace): inside 0 ->
// host ids. Throws Error.
void write_id_maps(pid_t pid, const IdMapping& ids);

}  // namespace ossa::sandbox
