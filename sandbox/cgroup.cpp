// cgroups: memory.max / pids.max / cpu.max (v2) or memory.limit_in_bytes / pids.max (v1).
#include "sandbox/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "sandbox/sandbox.hpp"

namespace ossa::sandbox {
namespace {

struct Mount {
  std::string point;
  std::string root;
  std::string fstype;
  std::string options;
};

std::vector<Mount> cgroup_mounts() {
  std::vector<Mount> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string id, parent, dev, root, point, opts, field;
    s >> id >> parent >> dev >> root >> point >> opts;
    while (s >> field && field != "-") {
    }
    std::string fstype, source, super;
    s >> fstype >> source >> super;
    if (fstype == "cgroup" || fstype == "cgroup2") out.push_back({point, root, fstype, super});
  }
  return out;
}

bool has_word(const std::string& list, const std::string& word, char sep) {
  std::istringstream s(list);
  std::string item;
  while (std::getline(s, item, sep)) {
    if (item == word) return true;
  }
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// A directory we may create children in: try creating and removing one.
bool writable_parent(const std::string& dir) {
  std::string probe = dir + "/ossa-probe-" + std::to_string(::getpid());
  if (::mkdir(probe.c_str(), 0755) != 0) return false;
  ::rmdir(probe.c_str());
  return true;
}

std::string join(const std::string& mount_point, const std::string& mount_root,
                 const std::string& path) {
  std::string rel = path;
  if (mount_root != "/" && rel.rfind(mount_root, 0) == 0) rel = rel.substr(mount_root.size());
  if (rel == "/") rel.clear();
  return mount_point + rel;
}

std::vector<Cgroup::Controller> probe_controllers() {
  std::vector<Cgroup::Controller> found;
  auto mounts = cgroup_mounts();
  // Our own cgroup paths: "0::/path" (v2), "N:ctrl,ctrl:/path" (v1).
  std::string v2_path;
  std::vector<std::pair<std::string, std::string>> v1_paths;
  {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
      auto a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
      if (ctrls.empty()) v2_path = path;
      else v1_paths.emplace_back(ctrls, path);
    }
  }
  for (const char* name : {"memory", "pids", "cpu"}) {
    bool done = false;
    for (const Mount& m : mounts) {
      if (m.fstype != "cgroup2" || v2_path.empty()) continue;
      std::string base = join(m.point, m.root, v2_path);
      if (!has_word(read_file(base + "/cgroup.controllers"), name, ' ')) continue;
      // Children only get the controller when it is enabled in our subtree_control (refused
      // with EBUSY when our cgroup holds processes and is not the root).
      std::string control = read_file(base + "/cgroup.subtree_control");
      if (!has_word(control, name, ' ') &&
          !write_file(base + "/cgroup.subtree_control", std::string("+") + name))
        continue;
      if (!writable_parent(base)) continue;
      found.push_back({name, base, true});
      done = true;
      break;
    }
    if (done || std::string(name) == "cpu") continue;
    for (const Mount& m : mounts) {
      if (m.fstype != "cgroup" || !has_word(m.options, name, ',')) continue;
      for (const auto& [ctrls, path] : v1_paths) {
        if (!has_word(ctrls, name, ',')) continue;
        std::string base = join(m.point, m.root, path);
        if (!writable_parent(base)) continue;
        found.push_back({name, base, false});
        done = true;
        break;
      }
      if (done) break;
    }
  }
  return found;
}

// Cgroups of an ossa that died without cleaning up (killed, crashed) stay behind: remove the
// empty ones whose creating process is gone.
void sweep_stale(const std::string& parent) {
  DIR* d = ::opendir(parent.c_str());
  if (!d) return;
  constexpr std::string_view kPrefix = "ossa-sandbox-";
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.substr(0, kPrefix.size()) != kPrefix) continue;
    long pid = std::strtol(e->d_name + kPrefix.size(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)
      continue;
    ::rmdir((parent + "/" + e->d_name).c_str());  // fails harmlessly while still in use
  }
  ::closedir(d);
}

std::atomic<unsigned> counter{0};

}  // namespace

const std::vector<Cgroup::Controller>& Cgroup::available() {
  static std::once_flag once;
  static std::vector<Controller> controllers;
  std::call_once(once, [] {
    controllers = probe_controllers();
    for (const auto& c : controllers) sweep_stale(c.parent);
  });
  return controllers;
}

bool Cgroup::has(const std::string& controller) {
  for (const auto& c : available())
    if (c.name == controller) return true;
  return false;
}

std::unique_ptr<Cgroup> Cgroup::create(const Limits& limits) {
  std::unique_ptr<Cgroup> cg(new Cgroup());
  std::string name = "ossa-sandbox-" + std::to_string(::getpid()) + "-" +
                     std::to_string(counter.fetch_add(1));
  for (const Controller& c : available()) {
    bool wanted = (c.name == "memory" && limits.memory_bytes) ||
                  (c.name == "pids" && limits.max_processes) || c.name == "cpu";
    if (!wanted) continue;
    std::string dir = c.parent + "/" + name;
    // v2 controllers share one directory; v1 controllers each have their own hierarchy.
    bool exists = false;
    for (const Dir& d : cg->dirs_) exists |= d.path == dir;
    if (!exists && ::mkdir(dir.c_str(), 0755) != 0)
      throw Error("sandbox: cgroup " + c.name + ": mkdir " + dir + ": " + std::strerror(errno));
    cg->dirs_.push_back({c.name, dir, c.v2});
    bool ok = true;
    if (c.name == "memory" && c.v2) {
      ok = write_file(dir + "/memory.max", std::to_string(limits.memory_bytes));
      write_file(dir + "/memory.swap.max", "0");  // absent without swap accounting
    } else if (c.name == "memory") {
      ok = write_file(dir + "/memory.limit_in_bytes", std::to_string(limits.memory_bytes));
      write_file(dir + "/memory.memsw.limit_in_bytes", std::to_string(limits.memory_bytes));
    } else if (c.name == "pids") {
      ok = write_file(dir + "/pids.max", std::to_string(limits.max_processes));
    } else if (c.name == "cpu") {
      ok = write_file(dir + "/cpu.max", "100000 100000");  // at most one CPU's worth
    }
    if (!ok) throw Error("sandbox: cgroup " + c.name + ": cannot set the limit in " + dir);
  }
  return cg;
}

void Cgroup::add(pid_t pid) {
  std::string text = std::to_string(pid);
  std::string last;
  for (const Dir& d : dirs_) {
    if (d.path == last) continue;
    if (!write_file(d.path + "/cgroup.procs", text))
      throw Error("sandbox: cgroup " + d.controller + ": cannot join " + d.path + ": " +
                  std::strerror(errno));
    last = d.path;
  }
}

bool Cgroup::oom_killed() const {
  for (const Dir& d : dirs_) {
    if (d.controller != "memory") continue;
    std::istringstream s(read_file(d.path + (d.v2 ? "/memory.events" : "/memory.oom_control")));
    std::string key;
    long long value = 0;
    while (s >> key >> value) {
      if (key == "oom_kill" && value > 0) return true;
    }
  }
  return false;
}

bool Cgroup::limits_memory() const {
  for (const Dir& d : dirs_)
    if (d.controller == "memory") return true;
  return false;
}

bool Cgroup::limits_pids() const {
  for (const Dir& d : dirs_)
    if (d.controller == "pids") return true;
  return false;
}

Cgroup::~Cgroup() {
  // Called once the tree is reaped; the kernel may take a moment to let the directory go.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (::rmdir(it->path.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

}  // namespace ossa::sandbox
