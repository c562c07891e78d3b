#pragma once
// The Tool interface: what the model can call, described as data, invoked asynchronously.
//
// A tool is identified by its namespace and name (harmony recipient "functions.get_weather",
// "browser.search"); a namespace that is itself the tool (python) has an empty name and the
// recipient "python". Tools never throw at the model: the Registry (registry.hpp) parses and
// validates the arguments, calls invoke(), and turns any escaping exception into an error
// result. invoke() runs on the caller's executor; a tool that blocks must move that work off it.
//
// A tool object is shared by every session; what a tool keeps between calls of one agent
// session (the python interpreter, the browser's page stack) lives in ToolSession, reached
// through ToolContext::session.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tools/secrets.hpp"

namespace ossa::tools {

// Tool schemas and arguments keep their key order: the order of properties is the order the
// model is shown (harmony renders them as written).
using Json = nlohmann::ordered_json;

// What the message body of a call is: JSON arguments checked against `parameters`, or raw
// text handed to the tool unparsed (python source, an apply_patch patch).
enum class BodyKind { json, text };

struct ToolSpec {
  std::string ns;           // "functions", "browser", "python", or a user namespace
  std::string name;         // "get_weather"; empty when the namespace is the tool (python)
  std::string description;  // shown to the model above the tool's type
  // JSON Schema of the arguments object (insertion order is the order the model sees). Null:
  // the tool takes no arguments. For BodyKind::text it is only what the model is shown.
  Json parameters;
  BodyKind body = BodyKind::json;
  bool needs_approval = false;  // the runtime asks the user before running it
  bool needs_network = false;   // the tool reaches the network (allowlist applies)

  // "ns.name", or "ns" when name is empty.
  std::string recipient() const { return name.empty() ? ns : ns + "." + name; }
};

struct ToolCall {
  std::string recipient;     // as the model wrote it (before alias resolution)
  std::string body;          // the message text, unparsed
  std::string channel;       // channel of the call ("analysis", "commentary"); echoed back
  std::string content_type;  // "json", "<|constrain|>json", "code", ... as the model wrote it
  // Filled by the Registry before invoke(): the parsed, repaired and validated arguments for
  // BodyKind::json tools (an object; defaults of missing top-level properties filled in), null
  // for BodyKind::text tools.
  Json arguments;
};

struct ToolResult {
  std::string text;     // what the model reads
  bool is_error = false;
  // Structured facts for logs and transcripts (exit code, timings, bytes dropped, repairs
  // applied...). Never carries secrets.
  Json metadata = Json::object();

  static ToolResult success(std::string text, Json metadata = Json::object()) {
    return ToolResult{std::move(text), false, std::move(metadata)};
  }
  static ToolResult failure(std::string text, Json metadata = Json::object()) {
    return ToolResult{std::move(text), true, std::move(metadata)};
  }
};

// What tools keep between the calls of one agent session, by key (a tool uses its
// recipient). Destroying the session destroys the states (the python interpreter's sandbox is
// killed then). One session is driven by one strand at a time: no locking here.
class ToolSession {
 public:
  ToolSession() = default;
  ToolSession(const ToolSession&) = delete;
  ToolSession& operator=(const ToolSession&) = delete;

  // The state under `key`, created with make() (returning std::shared_ptr<T>) when absent.
  template <class T, class Make>
  T& get_or_create(std::string_view key, Make&& make) {
    auto it = states_.find(key);
    if (it == states_.end()) {
      std::shared_ptr<T> created = make();
      it = states_.emplace(std::string(key), std::shared_ptr<void>(std::move(created))).first;
    }
    return *static_cast<T*>(it->second.get());
  }
  // The state under `key` or nullptr.
  template <class T>
  T* find(std::string_view key) const {
    auto it = states_.find(key);
    return it == states_.end() ? nullptr : static_cast<T*>(it->second.get());
  }
  void erase(std::string_view key) {
    auto it = states_.find(key);
    if (it != states_.end()) states_.erase(it);
  }

 private:
  std::map<std::string, std::shared_ptr<void>, std::less<>> states_;
};

// Limits for tools that run code in the sandbox (python, shell, command tools).
struct ExecLimits {
  std::chrono::milliseconds timeout{120'000};  // per python cell / shell command
  std::size_t memory_mib = 2048;
  int max_processes = 256;
  std::size_t max_output_bytes = 64 * 1024;  // what the model is shown at most
  std::size_t max_file_mib = 1024;           // largest file the code may write
  // How much sandboxed code may grow the workspace, over its size when this process first ran
  // sandboxed code in it (0: no budget).
  std::size_t workspace_write_mib = 1024;
  // Run when Landlock or cgroups are unavailable, on namespaces, seccomp and rlimits alone
  // (`[sandbox] policy = "degraded"`). Never waives namespaces or seccomp.
  bool allow_degraded = false;
};

// Where the workspace is inside the sandbox, for every tool that runs code there (python,
// shell, command tools): one path, the one gpt-oss's python tool was trained with, and the one
// every tool's description names.
inline constexpr const char* kWorkspaceMount = "/mnt/data";

// Where and with what a call runs. Owned by the caller (the runtime's session, `ossa tools
// call`, a test); must outlive the invoke() awaitable.
struct ToolContext {
  boost::asio::any_io_executor executor;
  std::filesystem::path workspace;  // the folder tools act in; /mnt/data inside the sandbox
  ToolSession* session = nullptr;   // null: stateful tools keep state for this call only
  ExecLimits limits;
  // Sandboxed code sees .git (and .hg, .svn, .jj, .ossa) of the workspace read-only.
  bool protect_git = true;
  // The secrets `${NAME}` in HTTP headers may use (declared in the configuration, each bound
  // to its hosts; never shown to the model). Null: none declared.
  std::shared_ptr<const Secrets> secrets;
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual const ToolSpec& spec() const = 0;
  // Runs the call. `call.arguments` is already validated for BodyKind::json tools. Errors the
  // model can act on are returned as ToolResult::failure(); exceptions are caught by the
  // Registry and reported as failures too, but tools should not rely on that.
  virtual boost::asio::awaitable<ToolResult> invoke(const ToolCall& call, ToolContext& ctx) = 0;
  // Extra developer instructions the tool needs the model to read (apply_patch's patch
  // language). Empty for most tools.
  virtual std::string instructions() const { return {}; }
};

}  // namespace ossa::tools
