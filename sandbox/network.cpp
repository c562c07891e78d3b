// Network and UTS namespaces: a fresh network namespace has only a loopback device, down.
// Bringing it up gives programs a working 127.0.0.1 of their own (test servers, IPC) while no
// route leads anywhere else, the host's own 127.0.0.1 services included.
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/child_plan.hpp"

namespace ossa::sandbox {

void apply_loopback() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) child_fail("network namespace: socket", errno);
  ifreq req{};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(fd, SIOCGIFFLAGS, &req) != 0) child_fail("network namespace: get lo flags", errno);
  req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(fd, SIOCSIFFLAGS, &req) != 0) child_fail("network namespace: bring lo up", errno);
  ::close(fd);
}

void apply_hostname() {
  static constexpr char kName[] = "sandbox";
  if (::sethostname(kName, sizeof kName - 1) != 0) child_fail("uts namespace: sethostname", errno);
}

}  // namespace ossa::sandbox
