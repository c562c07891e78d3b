// Environment: the program sees only what the policy names (API keys live in the host's
// environment), plus PATH/HOME/LANG defaults; the command is resolved against that PATH.
#include <string>
#include <string_view>
#include <utility>

#include "sandbox/child_plan.hpp"
#include "sandbox/sandbox.hpp"

namespace ossa::sandbox {
namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

}  // namespace

void plan_environment(const Policy& policy, const std::vector<std::string>& argv,
                      ChildPlan& plan) {
  std::string path = kDefaultPath;
  bool has_path = false, has_home = false, has_lang = false;
  for (const auto& [key, value] : policy.env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos)
      throw Error("sandbox: invalid environment variable name '" + key + "'");
    std::string entry = key;  // appends: g++ 12 warns falsely on chained operator+ here
    entry.append("=").append(value);
    plan.env_storage.push_back(std::move(entry));
    if (key == "PATH") {
      has_path = true;
      path = value;
    }
    has_home |= key == "HOME";
    has_lang |= key == "LANG";
  }
  if (!has_path) plan.env_storage.push_back(std::string("PATH=") + kDefaultPath);
  if (!has_home) plan.env_storage.push_back("HOME=/tmp");
  if (!has_lang) plan.env_storage.push_back("LANG=C.UTF-8");

  for (const auto& a : argv) {
    if (a.find('\0') != std::string::npos) throw Error("sandbox: NUL byte in an argument");
  }
  plan.argv_storage = argv;
  for (auto& s : plan.argv_storage) plan.argv.push_back(s.data());
  plan.argv.push_back(nullptr);
  for (auto& s : plan.env_storage) plan.envp.push_back(s.data());
  plan.envp.push_back(nullptr);

  const std::string& cmd = argv.front();
  if (cmd.empty()) throw Error("sandbox: empty command name");
  if (cmd.find('/') != std::string::npos) {
    plan.exec_candidates.push_back(cmd);
    return;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    // An empty PATH entry means the working directory.
    std::string candidate(end > start ? std::string_view(path).substr(start, end - start) : ".");
    candidate.push_back('/');
    candidate.append(cmd);
    plan.exec_candidates.push_back(std::move(candidate));
    start = end + 1;
  }
}

}  // namespace ossa::sandbox
