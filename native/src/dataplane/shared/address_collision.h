// Address collisions: two load balancers present the same client address
// and port for the same target, so a second upstream socket wants the
// 4-tuple that a live one holds (for TCP also one in TIME_WAIT). What counts
// as one, the table of 4-tuples UDP sessions hold, and the log's words.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_set>

#include "os/address.h"
#include "os/sockets.h"

namespace mmproxy::dataplane {

// Whether a StartConnect() from a fixed client address:port failed because
// that address:port is taken: bind() EADDRINUSE (a socket listening on that
// port of every address, or one bound without SO_REUSEADDR, holds it) or
// connect() EADDRNOTAVAIL (the 4-tuple is connected or in TIME_WAIT).
bool IsAddressCollision(const SocketFailure& failure);

// The kernel lets a second SO_REUSEADDR UDP socket bind and connect the
// 4-tuple another one holds, then delivers every reply to only one of them:
// UDP sessions claim their 4-tuple here first. One table per data plane,
// shared by its workers, locked only when a session opens or closes.
class TupleTable {
 public:
  // False when another session holds source → target.
  bool Claim(const Address& source, const Address& target);
  void Release(const Address& source, const Address& target);

 private:
  std::mutex mutex_;
  std::unordered_set<std::string> held_;  // guarded by mutex_
};

// Why a collision happened, for the messages below.
std::string CollisionCause(const SocketFailure& failure);
// The refused flow's message: what is taken, why, what became of the flow
// (`outcome`) and the option that would have let it through.
std::string CollisionRefusedMessage(const Address& client, const Address& target, const std::string& cause,
                                    const std::string& outcome);
// When even the ephemeral port failed (`failure`): the fallback's own error.
std::string CollisionUnresolvedMessage(const Address& client, const Address& target, const std::string& cause,
                                       const SocketFailure& failure, const std::string& outcome);
// The message of a flow connected from another port of the client's address.
std::string CollisionFallbackMessage(const Address& client, const Address& target, const std::string& cause,
                                     uint16_t port);

}  // namespace mmproxy::dataplane
