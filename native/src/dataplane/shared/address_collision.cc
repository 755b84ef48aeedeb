#include "dataplane/shared/address_collision.h"

#include <cerrno>
#include <cstring>

namespace mmproxy::dataplane {
namespace {

std::string TupleKey(const Address& source, const Address& target) {
  std::string key;
  source.AppendKey(&key);
  target.AppendKey(&key);
  return key;
}

std::string Taken(const Address& client, const Address& target, const std::string& cause) {
  return "client address " + client.ToString() + " is taken for " + target.ToString() + ": " + cause;
}

}  // namespace

bool IsAddressCollision(const SocketFailure& failure) {
  if (failure.step == "bind") return failure.error == EADDRINUSE;
  if (failure.step == "connect") return failure.error == EADDRNOTAVAIL || failure.error == EADDRINUSE;
  return false;
}

bool TupleTable::Claim(const Address& source, const Address& target) {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_.insert(TupleKey(source, target)).second;
}

void TupleTable::Release(const Address& source, const Address& target) {
  std::lock_guard<std::mutex> lock(mutex_);
  held_.erase(TupleKey(source, target));
}

std::string CollisionCause(const SocketFailure& failure) {
  std::string error = failure.step + ": " + std::strerror(failure.error);
  if (failure.step == "bind") return "a local socket holds that port (" + error + ")";
  return "another flow is connected from it, or was moments ago and waits in TIME_WAIT (" + error + ")";
}

std::string CollisionRefusedMessage(const Address& client, const Address& target, const std::string& cause,
                                    const std::string& outcome) {
  return Taken(client, target, cause) + "; " + outcome +
         ". Two load balancers sending the same client address and port? Run with --collision ephemeral-port "
         "to connect such flows from another port of the client's address";
}

std::string CollisionUnresolvedMessage(const Address& client, const Address& target, const std::string& cause,
                                       const SocketFailure& failure, const std::string& outcome) {
  return Taken(client, target, cause) + "; no ephemeral port of it either (" + failure.step + ": " +
         std::strerror(failure.error) + "; see net.ipv4.ip_local_port_range); " + outcome;
}

std::string CollisionFallbackMessage(const Address& client, const Address& target, const std::string& cause,
                                     uint16_t port) {
  return Taken(client, target, cause) + "; connected from port " + std::to_string(port) +
         " instead (--collision ephemeral-port): the app sees the client's address with that port";
}

}  // namespace mmproxy::dataplane
