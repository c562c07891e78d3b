#pragma once
// Internal: the workspace byte budget. The host folder is the user's own, on a filesystem ossa
// cannot put a quota on without privilege, so the budget is enforced from outside: no single
// file may grow past the room left (RLIMIT_FSIZE, exact), and a watcher thread measures the
// folder and kills the sandbox once it holds more than allowed (by polling: a writer can
// overshoot by what it writes in one interval).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

#include "sandbox/unique_fd.hpp"

namespace ossa::sandbox {

class WorkspaceWatch {
 public:
  // Watches `folder` until destroyed; past `max_bytes` it sends SIGKILL through `pidfd` (owned).
  WorkspaceWatch(std::filesystem::path folder, std::uint64_t max_bytes, UniqueFd pidfd);
  ~WorkspaceWatch();
  WorkspaceWatch(const WorkspaceWatch&) = delete;
  WorkspaceWatch& operator=(const WorkspaceWatch&) = delete;

  bool tripped() const { return tripped_.load(); }

 private:
  void loop();

  std::filesystem::path folder_;
  std::uint64_t max_bytes_;
  UniqueFd pidfd_;
  std::atomic<bool> tripped_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ossa::sandbox
