// Run to completion: feed stdin, collect stdout/stderr up to the output cap, wait.
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>

#include "sandbox/sandbox.hpp"

namespace ossa::sandbox {
namespace {

// Past the cap, output is read and dropped so the program is not blocked on a full pipe; a
// program that keeps flooding this long after the cap is killed instead of burning CPU on both
// sides until the timeout.
constexpr std::uint64_t kDiscardBeforeKill = 64ull << 20;

struct Collector {
  Process& process;
  std::uint64_t cap;
  std::uint64_t kept = 0;
  std::uint64_t dropped = 0;
  bool killed_for_flood = false;

  void read(boost::asio::posix::stream_descriptor& pipe, std::string& sink,
            std::array<char, 65536>& buffer) {
    pipe.async_read_some(boost::asio::buffer(buffer),
                         [this, &pipe, &sink, &buffer](const boost::system::error_code& ec,
                                                       std::size_t n) {
                           if (ec) return;
                           std::uint64_t room = cap == 0 ? n : (cap > kept ? cap - kept : 0);
                           std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(room, n));
                           sink.append(buffer.data(), take);
                           kept += take;
                           if (take < n) {
                             dropped += n - take;
                             process.note_output_truncated();
                             if (dropped > kDiscardBeforeKill && !killed_for_flood) {
                               killed_for_flood = true;
                               process.kill();
                             }
                           }
                           read(pipe, sink, buffer);
                         });
  }
};

}  // namespace

Output Sandbox::run(const Policy& policy, const std::vector<std::string>& argv,
                    std::string_view input) {
  boost::asio::io_context io;
  auto process = spawn(io, policy, argv);
  Output output;
  std::string stdin_data(input);
  if (stdin_data.empty()) {
    process->stdin_pipe().close();
  } else {
    boost::asio::async_write(process->stdin_pipe(), boost::asio::buffer(stdin_data),
                             [&](const boost::system::error_code&, std::size_t) {
                               boost::system::error_code ignored;
                               process->stdin_pipe().close(ignored);
                             });
  }
  Collector collector{*process, policy.limits.max_output_bytes};
  std::array<char, 65536> out_buffer, err_buffer;
  collector.read(process->stdout_pipe(), output.out, out_buffer);
  collector.read(process->stderr_pipe(), output.err, err_buffer);
  process->async_wait([&](const Result& r) {
    output.result = r;
    // The tree is gone, so every write end is closed: the reads finish on their own with
    // what is still buffered. Nothing else to cancel but a stdin write the program never read.
    boost::system::error_code ignored;
    process->stdin_pipe().close(ignored);
  });
  io.run();
  return output;
}

}  // namespace ossa::sandbox
