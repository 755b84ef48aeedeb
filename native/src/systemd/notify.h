// The service manager's notification protocol (sd_notify(3)), without
// libsystemd: one datagram of "KEY=VALUE\n" lines to the AF_UNIX socket named
// by $NOTIFY_SOCKET, a path or, with a leading '@', an abstract name.
#pragma once

#include <string>

namespace mmproxy::systemd {

// Largest socket name that fits sockaddr_un's sun_path with its terminator.
constexpr size_t kMaxNotifySocketName = 107;

// Sends `message` as one datagram to `socket_name`. Returns 0 when sent, else
// the errno of the call that failed, which `*syscall` names. The caller passes a
// name of 1 to kMaxNotifySocketName bytes that starts with '/' or '@'.
int SendNotification(const std::string& socket_name, const std::string& message, const char** syscall);

}  // namespace mmproxy::systemd
