#pragma once
// Runs blocking work (HTTP fetches, file indexing) on its own thread and resumes the awaiting
// coroutine on its executor, so tools never block the event loop.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <thread>
#include <type_traits>
#include <utility>

namespace ossa::browser {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> run_blocking(F work) {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<F>;
  auto ex = co_await asio::this_coro::executor;
  // Tracked: the executor's loop keeps running until the result is delivered.
  auto tracked = asio::prefer(ex, asio::execution::outstanding_work.tracked);
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, R)>(
      [tracked](auto handler, F fn) {
        std::thread([tracked, handler = std::move(handler), fn = std::move(fn)]() mutable {
          std::exception_ptr ep;
          R r{};
          try {
            r = fn();
          } catch (...) {
            ep = std::current_exception();
          }
          asio::post(tracked, [handler = std::move(handler), ep, r = std::move(r)]() mutable {
            std::move(handler)(ep, std::move(r));
          });
        }).detach();
      },
      asio::use_awaitable, std::move(work));
}

}  // namespace ossa::browser
