#include "tools/mcp/manager.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "tools/mcp/mcp_tool.hpp"
#include "tools/registry.hpp"

namespace ossa::mcp {
namespace {
namespace asio = boost::asio;
}

struct Manager::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread;
  std::map<std::string, std::shared_ptr<Client>> clients;  // used on the thread only

  // Runs f() on the manager's thread and waits for it (never from that thread).
  template <class F>
  auto on_thread(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }
};

Manager::Manager(std::vector<ServerConfig> servers, std::filesystem::path workspace, SecretLookup secret)
    : configs_(std::move(servers)), impl_(std::make_shared<Impl>()) {
  for (const ServerConfig& c : configs_)
    if (c.enabled) impl_->clients[c.name] = std::make_shared<Client>(impl_->io, c, workspace, secret);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

Manager::~Manager() {
  impl_->on_thread([this] {
    for (auto& [name, c] : impl_->clients) c->stop();
    return 0;
  });
  impl_->guard.reset();
  impl_->thread.join();
  impl_->clients.clear();
}

std::vector<ServerTools> Manager::start_all() {
  struct Shared {
    std::vector<ServerTools> out;
    int left = 0;
    std::promise<void> done;
  };
  auto sh = std::make_shared<Shared>();
  impl_->on_thread([&] {
    for (auto& [name, client] : impl_->clients) {
      sh->out.push_back({name, {}, {}});
      ++sh->left;
    }
    if (sh->left == 0) sh->done.set_value();
    std::size_t i = 0;
    for (auto& [name, client] : impl_->clients) {
      asio::co_spawn(impl_->io,
                     [sh, client, i]() -> asio::awaitable<void> {
                       try {
                         sh->out[i].tools = co_await client->list_tools();
                       } catch (const std::exception& e) {
                         sh->out[i].error = e.what();
                       }
                       if (--sh->left == 0) sh->done.set_value();
                     },
                     asio::detached);
      ++i;
    }
    return 0;
  });
  sh->done.get_future().wait();
  return impl_->on_thread([&] { return sh->out; });
}

namespace {
// What a call's two sides share. It holds no asio object: the caller's timer lives in the
// caller's frame, so whichever thread drops the last reference, nothing touches an io_context
// that may already be gone (the manager thread must never post to, or destroy a timer of, an
// executor whose caller has left).
struct CallWait {
  std::mutex mu;
  asio::steady_timer* timer = nullptr;  // null once the caller's frame is gone
  std::optional<tools::ToolResult> result;
};
}  // namespace

asio::awaitable<tools::ToolResult> Manager::call(std::string server, std::string tool, Json arguments,
                                                 std::chrono::milliseconds timeout, std::size_t max_bytes) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer done(ex, std::chrono::steady_clock::time_point::max());
  auto w = std::make_shared<CallWait>();
  w->timer = &done;
  struct Leave {
    std::shared_ptr<CallWait> w;
    ~Leave() {
      std::lock_guard lock(w->mu);
      w->timer = nullptr;
    }
  } leave{w};
  auto cancel = std::make_shared<CallCancel>();
  auto impl = impl_;
  asio::co_spawn(
      impl->io,
      [impl, server, tool, arguments, timeout, max_bytes, cancel, w, ex]() -> asio::awaitable<void> {
        tools::ToolResult r;
        auto it = impl->clients.find(server);
        if (it == impl->clients.end()) {
          r = tools::ToolResult::failure("the MCP server `" + server + "` is not configured or not enabled.");
        } else {
          auto client = it->second;
          r = co_await client->call_tool(tool, arguments, timeout, max_bytes, cancel);
        }
        std::lock_guard lock(w->mu);
        if (!w->timer) co_return;  // the caller gave up (cancelled) and may be gone with its executor
        asio::post(ex, [w, r = std::move(r)]() mutable {
          std::lock_guard held(w->mu);
          if (!w->timer) return;
          w->result = std::move(r);
          // expires_at, not cancel: it also wakes a wait that has not started yet.
          w->timer->expires_at(std::chrono::steady_clock::time_point::min());
        });
      },
      asio::detached);
  boost::system::error_code ec;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  {
    std::lock_guard lock(w->mu);
    if (w->result) co_return std::move(*w->result);
  }
  // Our awaiter was cancelled (the turn was): tell the server and stop waiting.
  asio::post(impl->io, [cancel] { cancel->cancel(); });
  tools::ToolResult r = tools::ToolResult::failure("The call to `" + tool + "` on the MCP server `" + server +
                                                   "` was cancelled.");
  r.metadata["cancelled"] = true;
  co_return r;
}

void Manager::stop(const std::string& server) {
  impl_->on_thread([&] {
    if (auto it = impl_->clients.find(server); it != impl_->clients.end()) it->second->stop();
    return 0;
  });
}

int Manager::starts(const std::string& server) {
  return impl_->on_thread([&] {
    auto it = impl_->clients.find(server);
    return it == impl_->clients.end() ? 0 : it->second->starts();
  });
}

std::string tool_function_name(const std::string& server, const std::string& tool) {
  std::string s = server + "_" + tool;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  return s;
}

std::vector<std::string> add_mcp_tools(tools::Registry& reg, std::shared_ptr<Manager> manager,
                                       const std::vector<ServerTools>& listed) {
  std::vector<std::string> warnings;
  for (const ServerTools& st : listed) {
    if (!st.error.empty()) {
      warnings.push_back("MCP server `" + st.server + "` is unavailable: " + st.error);
      continue;
    }
    const ServerConfig* cfg = nullptr;
    for (const ServerConfig& c : manager->servers())
      if (c.name == st.server) cfg = &c;
    if (!cfg) continue;
    for (const RemoteTool& t : st.tools) {
      auto tool = std::make_shared<McpTool>(manager, *cfg, t);
      const std::string recipient = tool->spec().recipient();
      if (reg.find(recipient)) {
        warnings.push_back("MCP server `" + st.server + "`: tool `" + t.name + "` skipped: `" +
                           recipient + "` is already taken");
        continue;
      }
      try {
        reg.add(tool);
      } catch (const std::exception& e) {
        warnings.push_back("MCP server `" + st.server + "`: tool `" + t.name + "` skipped: " + e.what());
        continue;
      }
      // `server.tool` as written in the server's own docs (and in `ossa tools call`), unless it
      // would shadow a namespace ossa has.
      std::string alias = st.server + "." + t.name;
      if (!tools::is_system_namespace(st.server) && st.server != "functions" && !reg.find(alias))
        reg.add_alias(alias, recipient);
    }
  }
  return warnings;
}

}  // namespace ossa::mcp
