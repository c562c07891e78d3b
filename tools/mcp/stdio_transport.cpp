#include "tools/mcp/stdio_transport.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <stdexcept>

#include "tools/exec/sandboxed_run.hpp"

namespace ossa::mcp {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kStderrKept = 4096;
constexpr std::size_t kGarbageSample = 200;

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 && c != '\t') || u == 0x7f ? '?' : c;
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace

sandbox::Policy server_policy(const ServerConfig& cfg, const std::filesystem::path& workspace) {
  sandbox::Policy p;
  p.workspace = workspace;
  p.workspace_mount = "/workspace";
  p.workspace_read_only = !cfg.sandbox.workspace_writable;
  p.cwd = cfg.cwd.empty() ? "/workspace" : cfg.cwd;
  for (const std::string& ro : cfg.sandbox.read_only) p.read_only.emplace_back(ro);
  p.network = sandbox::Network::none;
  p.env = {{"HOME", "/tmp"}, {"LANG", "C.UTF-8"}};
  for (const auto& kv : cfg.env) {
    bool replaced = false;
    for (auto& e : p.env)
      if (e.first == kv.first) e.second = kv.second, replaced = true;
    if (!replaced) p.env.push_back(kv);
  }
  // A server lives as long as ossa: only per-call deadlines apply (the client enforces them).
  p.limits.wall_timeout = std::chrono::milliseconds(0);
  p.limits.cpu_seconds = 0;
  p.limits.memory_bytes = static_cast<std::uint64_t>(cfg.sandbox.memory_mib) << 20;
  p.limits.max_output_bytes = 0;
  return p;
}

struct StdioTransport::State : std::enable_shared_from_this<State> {
  asio::io_context& io;
  ServerConfig cfg;
  sandbox::Policy policy;
  std::unique_ptr<sandbox::Process> proc;
  TransportHandlers handlers;
  bool closed = false;
  std::deque<std::string> outbox;
  bool writing = false;
  std::string stderr_tail;
  std::size_t garbage_lines = 0;
  std::string garbage_first;
  bool stdout_done = false, stderr_done = false;

  State(asio::io_context& i, ServerConfig c, sandbox::Policy p)
      : io(i), cfg(std::move(c)), policy(std::move(p)) {}

  std::string diagnostics() const {
    std::string d;
    if (garbage_lines)
      d += "it wrote " + std::to_string(garbage_lines) + " line" + (garbage_lines == 1 ? "" : "s") +
           " that " + (garbage_lines == 1 ? "is" : "are") + " not JSON-RPC (first: \"" +
           garbage_first + "\")";
    std::string tail = stderr_tail;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    if (!tail.empty()) d += (d.empty() ? "" : "; ") + std::string("its stderr ends with: ") + printable(tail, kStderrKept);
    return d;
  }

  // Ends the server once: kills it, reports `why` (plus how it exited) to the client.
  void finish(std::string why) {
    if (closed) return;
    closed = true;
    auto h = std::move(handlers);
    handlers = {};
    if (proc) {
      proc->kill();
      sandbox::Result r = proc->wait();
      if (why.empty()) why = "the server " + tools::describe_exit(r, policy);
      proc.reset();
    }
    std::string d = diagnostics();
    if (!d.empty()) why += "; " + d;
    if (h.closed) h.closed(why);
  }

  void line(std::string_view text) {
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
    if (text.empty()) return;
    Json msg = Json::parse(text, nullptr, false);
    if (msg.is_discarded() || !msg.is_object()) {
      if (garbage_lines++ == 0) garbage_first = printable(text, kGarbageSample);
      return;
    }
    if (handlers.message) handlers.message(std::move(msg));
  }

  asio::awaitable<void> read_stdout() {
    auto self = shared_from_this();
    std::string buf;
    std::size_t scanned = 0;
    char chunk[65536];
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = co_await proc->stdout_pipe().async_read_some(
          asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      if (closed) co_return;
      buf.append(chunk, n);
      std::size_t start = 0;
      for (;;) {
        auto nl = buf.find('\n', scanned);
        if (nl == std::string::npos) break;
        line(std::string_view(buf).substr(start, nl - start));
        if (closed) co_return;  // a handler closed us
        start = nl + 1;
        scanned = start;
      }
      buf.erase(0, start);
      scanned = buf.size();
      if (buf.size() > cfg.max_message_bytes) {
        finish("the server sent a message larger than " +
               std::to_string(cfg.max_message_bytes >> 20) + " MiB (max_message_bytes) and was stopped");
        co_return;
      }
      if (ec) {
        if (!buf.empty()) line(buf);
        stdout_done = true;
        co_await drain_then_finish();
        co_return;
      }
    }
  }

  asio::awaitable<void> read_stderr() {
    auto self = shared_from_this();
    char chunk[8192];
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = co_await proc->stderr_pipe().async_read_some(
          asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      if (closed) co_return;
      stderr_tail.append(chunk, n);
      if (stderr_tail.size() > kStderrKept) stderr_tail.erase(0, stderr_tail.size() - kStderrKept);
      if (ec) {
        stderr_done = true;
        co_return;
      }
    }
  }

  // stdout ended: the server is exiting. Give its stderr and its exit a moment to arrive so
  // the message says how it ended.
  asio::awaitable<void> drain_then_finish() {
    asio::steady_timer t(io);
    for (int i = 0; i < 100 && !closed && (!stderr_done || (proc && proc->running())); ++i) {
      t.expires_after(std::chrono::milliseconds(10));
      boost::system::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    finish({});
  }

  void write_next() {
    if (writing || outbox.empty() || closed) return;
    writing = true;
    asio::async_write(proc->stdin_pipe(), asio::buffer(outbox.front()),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing = false;
                        if (self->closed) return;
                        self->outbox.pop_front();
                        // A broken stdin means the server is going away: stdout's EOF reports it.
                        if (ec) {
                          self->outbox.clear();
                          return;
                        }
                        self->write_next();
                      });
  }
};

StdioTransport::StdioTransport(asio::io_context& io, ServerConfig cfg, std::filesystem::path workspace) {
  sandbox::Policy policy = server_policy(cfg, workspace);
  state_ = std::make_shared<State>(io, std::move(cfg), std::move(policy));
}

StdioTransport::~StdioTransport() { close(); }

void StdioTransport::start(TransportHandlers handlers) {
  State& s = *state_;
  std::vector<std::string> argv{s.cfg.command};
  argv.insert(argv.end(), s.cfg.args.begin(), s.cfg.args.end());
  try {
    s.proc = sandbox::Sandbox::spawn(s.io, s.policy, argv);
  } catch (const std::exception& e) {
    throw std::runtime_error("could not start `" + s.cfg.command + "` in the sandbox: " + e.what());
  }
  s.handlers = std::move(handlers);
  asio::co_spawn(s.io, s.read_stdout(), asio::detached);
  asio::co_spawn(s.io, s.read_stderr(), asio::detached);
}

void StdioTransport::send(const Json& message) {
  State& s = *state_;
  if (s.closed || !s.proc) return;
  s.outbox.push_back(message.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
  s.write_next();
}

void StdioTransport::close() {
  State& s = *state_;
  if (s.closed) return;
  s.handlers = {};
  s.finish("closed");
}

std::string StdioTransport::diagnostics() const { return state_->diagnostics(); }

}  // namespace ossa::mcp
