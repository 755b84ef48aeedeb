// The two privileged options the proxy needs on its upstream sockets, one
// wrapper each. Both return 0 on success, else the errno of setsockopt.
#pragma once

#include <cstdint>

namespace mmproxy::probe {

int SetTransparent(int fd, int family);
int SetMark(int fd, uint32_t mark);

}  // namespace mmproxy::probe
