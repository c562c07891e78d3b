#pragma once
// Internal: parent-side helper of the mount namespace step.
#include <sys/types.h>

#include <filesystem>

#include "sandbox/unique_fd.hpp"

namespace ossa::sandbox {

// A detached copy of the mount at `workspace`, idmapped through the user namespace of `pid`:
// files owned by host root on disk appear owned by the sandbox's root, and files it creates
// land owned by host root. Used when ossa runs as root (the sandbox then is an unprivileged
// host uid that could not otherwise write the caller's workspace). Empty fd on failure.
UniqueFd idmapped_workspace(const std::filesystem::path& workspace, pid_t pid);

}  // namespace ossa::sandbox
