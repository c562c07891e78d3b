#pragma once
// Internal: a cgroup per sandbox, limiting the whole tree (memory, process count, CPU).
// cgroup v2 is used when the caller's v2 cgroup offers the controller; otherwise the v1
// hierarchy of that controller (hybrid layouts, where v2 has no memory/pids controllers).
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace ossa::sandbox {

struct Limits;

class Cgroup {
 public:
  struct Controller {
    std::string name;    // "memory", "pids", "cpu"
    std::string parent;  // directory new cgroups are created in
    bool v2 = false;
  };
  // Where each controller can be used, probed once. Missing controllers are absent.
  static const std::vector<Controller>& available();
  static bool has(const std::string& controller);

  // A fresh cgroup with the limits applied, for every available controller a limit needs.
  // Throws Error when creating one fails.
  static std::unique_ptr<Cgroup> create(const Limits& limits);
  ~Cgroup();
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;

  void add(pid_t pid);        // moves pid (before it runs anything) into every directory
  bool oom_killed() const;    // the memory controller killed something
  bool limits_memory() const;
  bool limits_pids() const;

 private:
  Cgroup() = default;
  struct Dir {
    std::string controller;
    std::string path;
    bool v2;
  };
  std::vector<Dir> dirs_;
};

}  // namespace ossa::sandbox
