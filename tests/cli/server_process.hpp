#pragma once
// A server (`ossa serve` or the scripted test server) as a child process, for tests that talk
// to it over loopback the way clients do. Its first stdout line, {"listening": URL, ...}, says
// where it listens; the child is stopped with SIGTERM when the object goes.
#include <sys/types.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace ossa::test {

class ServerProcess {
 public:
  // argv[0] is the program path. url() is empty when the child never said where it listens.
  explicit ServerProcess(const std::vector<std::string>& argv);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"
  unsigned short port() const;

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string url_;
};

// A loopback TCP port nothing listens on right now (for a server that must be told its port).
int free_port();
// Whether something accepts connections on 127.0.0.1:port.
bool port_open(int port);

// One HTTP/1.1 request on a fresh loopback connection; returns the status and the body.
std::pair<int, std::string> http_request(unsigned short port, const std::string& method,
                                         const std::string& target, const std::string& body = {});

}  // namespace ossa::test
