// Drives the probe core (no N-API) under ASan/UBSan on loopback only:
// connected, refused and a failed bind, each checked, no fd left open.
// Built and run by scripts/sanitize-probe.sh.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "probe/connect_probe.h"

namespace {

int OpenFds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

void Expect(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) std::exit(1);
}

}  // namespace

int main() {
  const int fds_before = OpenFds();
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(listener, reinterpret_cast<sockaddr*>(&address), length);
  listen(listener, 4);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);

  mmproxy::probe::ConnectRequest request;
  request.target_address = "127.0.0.1";
  request.target_port = port;
  request.timeout_ms = 2000;
  Expect(mmproxy::probe::RunConnectProbe(request).outcome == mmproxy::probe::ConnectOutcome::kConnected,
         "connected");

  close(listener);
  const auto refused = mmproxy::probe::RunConnectProbe(request);
  Expect(refused.outcome == mmproxy::probe::ConnectOutcome::kRefused && refused.errnum == ECONNREFUSED,
         "refused");

  request.source_address = "192.0.2.1";  // not ours, and no IP_TRANSPARENT: bind fails before any packet
  const auto bind_error = mmproxy::probe::RunConnectProbe(request);
  Expect(bind_error.outcome == mmproxy::probe::ConnectOutcome::kError && bind_error.syscall == "bind",
         "bind error");

  request.target_address = "not an address";
  Expect(mmproxy::probe::RunConnectProbe(request).syscall == "inet_pton", "bad address");

  Expect(OpenFds() == fds_before, "no descriptor left open");
  return 0;
}
