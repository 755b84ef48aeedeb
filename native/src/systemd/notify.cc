#include "systemd/notify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "os/unique_fd.h"

namespace mmproxy::systemd {

int SendNotification(const std::string& socket_name, const std::string& message, const char** syscall) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_name.data(), socket_name.size());
  // An abstract name starts with a NUL byte and is not NUL-terminated: its
  // length is part of the address length.
  if (socket_name[0] == '@') address.sun_path[0] = '\0';
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_name.size() +
                                             (socket_name[0] == '@' ? 0 : 1));

  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    *syscall = "socket";
    return errno;
  }
  // The manager reads each datagram whole: a short send cannot happen for a
  // datagram socket (it is sent entirely or fails, EMSGSIZE).
  ssize_t sent;
  do {
    sent = sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
                  reinterpret_cast<const sockaddr*>(&address), length);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    *syscall = "sendto";
    return errno;
  }
  return 0;
}

}  // namespace mmproxy::systemd
