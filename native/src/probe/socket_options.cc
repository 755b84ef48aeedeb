#include "probe/socket_options.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

namespace mmproxy::probe {

int SetTransparent(int fd, int family) {
  const int on = 1;
  const int level = family == AF_INET6 ? SOL_IPV6 : SOL_IP;
  const int option = family == AF_INET6 ? IPV6_TRANSPARENT : IP_TRANSPARENT;
  return setsockopt(fd, level, option, &on, sizeof(on)) == 0 ? 0 : errno;
}

int SetMark(int fd, uint32_t mark) {
  return setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == 0 ? 0 : errno;
}

}  // namespace mmproxy::probe
