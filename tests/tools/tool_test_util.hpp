#pragma once
// Runs a tool call on a private io_context, as the runtime would, and returns its result.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>

#include "tools/registry.hpp"

namespace ossa::test {

inline tools::ToolResult call_tool(boost::asio::io_context& io, const tools::Registry& reg,
                                   tools::ToolContext& ctx, std::string recipient, std::string body) {
  tools::ToolCall call;
  call.recipient = std::move(recipient);
  call.body = std::move(body);
  call.channel = "analysis";
  ctx.executor = io.get_executor();
  auto fut = boost::asio::co_spawn(io, reg.dispatch(std::move(call), ctx), boost::asio::use_future);
  // run_one until the call is done: a live interpreter may keep work pending on `io`.
  io.restart();
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready && io.run_one()) {
  }
  return fut.get();
}

}  // namespace ossa::test
