#include "runtime/terminal_approver.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

namespace ossa::runtime {
namespace asio = boost::asio;

namespace {

bool ask_on_tty(const std::string& question) {
  std::FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) return false;
  std::fputs(question.c_str(), tty);
  std::fflush(tty);
  char line[64] = {0};
  bool yes = false;
  if (std::fgets(line, sizeof line, tty)) yes = line[0] == 'y' || line[0] == 'Y';
  std::fclose(tty);
  return yes;
}

std::string question_for(const tools::ToolCall& call) {
  std::string body = call.body.size() > 800 ? call.body.substr(0, 800) + "..." : call.body;
  return "\nThe model wants to run " + call.recipient + ":\n  " + body + "\nAllow? [y/N] ";
}

}  // namespace

Approver make_terminal_approver() {
  return [](const tools::ToolCall& call) -> asio::awaitable<bool> {
    std::string question = question_for(call);
    auto initiate = [question](auto handler) {
      using Handler = decltype(handler);
      auto ex = asio::get_associated_executor(handler);
      auto state = std::make_shared<std::pair<Handler, asio::executor_work_guard<decltype(ex)>>>(
          std::move(handler), asio::make_work_guard(ex));
      // Detached: a read blocked on the terminal must not keep Ctrl-C from ending the process.
      std::thread([state, question] {
        bool yes = ask_on_tty(question);
        auto ex2 = state->second.get_executor();
        asio::post(ex2, [state, yes]() mutable {
          auto h = std::move(state->first);
          state->second.reset();
          h(yes);
        });
      }).detach();
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
        std::move(initiate), asio::use_awaitable);
  };
}

}  // namespace ossa::runtime
