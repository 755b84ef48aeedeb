#include "dataplane/binding/plane_listeners.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>

#include "binding/errors.h"
#include "dataplane/tcp/worker.h"
#include "os/sockets.h"

namespace mmproxy::dataplane {

std::vector<UniqueFd> OpenListeners(Napi::Env env, const Config& config, Address* bound) {
  std::vector<UniqueFd> listeners;
  Address address = config.listen;
  ListenOptions options{config.listen_transparent, config.protocol == Protocol::kUdp, config.keepalive};
  if (config.protocol == Protocol::kTcp) options.defer_accept_s = Worker::kDeferAcceptSeconds;
  if (!config.reuse_port && address.port() != 0) {
    if (SocketFailure failure = CheckPortFree(address, options)) {
      throw SystemError(env, failure.step, failure.error, "cannot listen on " + address.ToString());
    }
  }
  for (unsigned i = 0; i < config.listeners; ++i) {
    UniqueFd fd;
    SocketFailure failure = OpenListener(address, options, &fd);
    if (failure) {
      throw SystemError(env, failure.step, failure.error, "cannot listen on " + address.ToString());
    }
    if (i == 0) {
      sockaddr_storage kernel{};
      socklen_t length = sizeof kernel;
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&kernel), &length);
      address.set_port(Address::FromKernel(kernel).port());
    }
    listeners.push_back(std::move(fd));
  }
  *bound = address;
  return listeners;
}

std::vector<UniqueFd> DuplicateListeners(Napi::Env env, const std::vector<int>& fds, const Address& bound) {
  std::vector<UniqueFd> listeners;
  for (int fd : fds) {
    UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!copy.valid())
      throw SystemError(env, "fcntl", errno, "cannot take over the listeners of " + bound.ToString());
    listeners.push_back(std::move(copy));
  }
  return listeners;
}

}  // namespace mmproxy::dataplane
