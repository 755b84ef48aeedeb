// Datagrams from the load balancer: check the peer, read the header in
// front of each one as --udp-header says (datagram_header.h), find or open
// the client's session, and send the payload to the target from the
// client's address.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "dataplane/shared/address_collision.h"
#include "dataplane/shared/clock.h"
#include "dataplane/shared/header_client.h"
#include "dataplane/shared/header_policy.h"
#include "dataplane/udp/session_key.h"
#include "dataplane/udp/udp_worker.h"
#include "os/sockets.h"

namespace mmproxy::dataplane {
namespace {

// recvmmsg calls per loop turn: 8 × 32 datagrams, then the replies get a turn.
constexpr int kMaxBatchesPerTurn = 8;
// At maxSessions, a session that exchanges traffic is closed for a new one
// only after this long without a datagram either way: voice, games and
// tunnels send several a second, so one silent this long is idle, and a
// second is short enough that new clients get in once the table idles.
constexpr int64_t kMinIdleToEvictMs = 1000;

// The address exactly as the kernel gave it (no IPv4-mapped unwrapping):
// sendto() on a dual-stack socket needs the IPv6 form back.
Address RawAddress(const sockaddr_storage& from) {
  Address address;
  std::memcpy(&address.sa, &from, from.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
  return address;
}

}  // namespace

void UdpWorker::ReadListener() {
  for (int batch = 0; batch < kMaxBatchesPerTurn && listener_.valid(); ++batch) {
    inbound_.PrepareReceive();
    int got = ::recvmmsg(listener_.get(), inbound_.headers(), DatagramBatch::kSize, MSG_DONTWAIT, nullptr);
    // EAGAIN: all read. Anything else (ENOMEM...) is retried when epoll
    // reports the socket readable again.
    if (got <= 0) return;
    for (int i = 0; i < got; ++i) {
      const msghdr& header = inbound_.header(i).msg_hdr;
      bool oversize = (header.msg_flags & MSG_TRUNC) != 0;
      OnDatagram(inbound_.address(i), inbound_.buffer(i), inbound_.header(i).msg_len, oversize);
    }
    if (got < static_cast<int>(DatagramBatch::kSize)) return;
  }
}

void UdpWorker::OnDatagram(const sockaddr_storage& from, uint8_t* data, size_t length, bool oversize) {
  Address peer = Address::FromKernel(from);
  if (!AllowedPeer(peer)) {
    counters_.Fail(Failure::kNotAllowed);
    Event event = NewEvent(Level::kInfo, Failure::kNotAllowed,
                           "dropped a datagram from " + peer.ToString() + ": not in the allowed subnets");
    event.load_balancer = peer;
    Emit(std::move(event));
    return;
  }
  if (oversize) {
    Bump(counters_.datagrams_dropped);
    Event event = NewEvent(Level::kWarn, EventKind::kDatagramDropped,
                           "dropped a datagram from " + peer.ToString() + " larger than " +
                               std::to_string(DatagramBatch::kBytes) + " bytes");
    event.load_balancer = peer;
    Emit(std::move(event));
    return;
  }
  const UdpHeaderMode mode = shared_.config.udp_header;
  if (mode == UdpHeaderMode::kFirst && InRefusedFlow(peer)) return;
  DatagramHeader read;
  if (std::optional<HeaderRejection> rejection = ReadDatagramHeader(mode, data, length, &read)) {
    RejectHeader(peer, rejection->slot, rejection->code, rejection->why);
    return;
  }
  UdpSession* session = nullptr;
  if (read.kind == HeaderKind::kNone) {
    session = BareDatagramSession(peer);
  } else {
    std::optional<Address> client = HeaderClient(read.header);
    if (client && !IsUnicastClient(*client)) {
      RejectHeader(peer, kClientNotUnicastSlot, kClientNotUnicastCode, NotUnicastReason(*client));
      return;
    }
    session = SessionFor(peer, from, read.header, client);
    if (session != nullptr) NoteHeader(*session, read, data);
  }
  if (session == nullptr) return;
  Touch(*session, true);
  size_t payload = length - read.length;
  // A datagram that is all header opens or renews a `first` flow: the
  // load balancer (Cloudflare Spectrum) sends it apart from the payload.
  if (payload == 0 && read.kind != HeaderKind::kNone && mode == UdpHeaderMode::kFirst) return;
  // A connected UDP socket: the datagram goes whole or not at all. EAGAIN
  // (socket buffer full) and ECONNREFUSED (the target's last ICMP
  // unreachable, reported once) lose this datagram only, as UDP may.
  if (::send(session->upstream.get(), data + read.length, payload, MSG_DONTWAIT) < 0) {
    Bump(counters_.datagrams_dropped);
    return;
  }
  Bump(counters_.bytes_to_target, payload);
  session->info.bytes_to_target.fetch_add(payload, std::memory_order_relaxed);
}

void UdpWorker::RefuseSession(const Address& peer, const std::optional<Address>& client, Failure reason,
                              const char* code, const std::string& why) {
  counters_.Fail(reason);
  Event event = NewEvent(Level::kWarn, reason, "dropped a datagram from " + peer.ToString() + ": " + why);
  event.load_balancer = peer;
  event.client = client;
  event.code = code;
  Emit(std::move(event));
}

void UdpWorker::RejectHeader(const Address& peer, size_t slot, const char* code, const std::string& why) {
  Bump(counters_.bad_headers[slot]);
  counters_.Fail(Failure::kBadHeader);
  Event event =
      NewEvent(Level::kWarn, Failure::kBadHeader, "dropped a datagram from " + peer.ToString() + ": " + why);
  event.load_balancer = peer;
  event.code = code;
  Emit(std::move(event));
}

UdpSession* UdpWorker::SessionFor(const Address& peer, const sockaddr_storage& from, const pp::Header& header,
                                  const std::optional<Address>& client) {
  std::string key = SessionKey(shared_.config.udp_header, peer, client);
  if (auto it = by_key_.find(key); it != by_key_.end())
    return SameFlowOrRefuse(*it->second, peer, client, header);

  // Checked once per session: a datagram of an open one names the same client.
  if (client && RefusesLocalClient(shared_.config, local_addresses_, *client)) {
    RefuseSession(peer, client, Failure::kLocalClient, kLocalClientCode, LocalClientReason(*client));
    return nullptr;
  }
  std::optional<Address> target;
  if (client && shared_.config.dynamic_destination) {
    target = Address::FromKernel(header.destination);
  } else {
    target = TargetFor(shared_.config, client ? client->family() : peer.family());
  }
  if (!target) {
    counters_.Fail(Failure::kNoTarget);
    bool v4 = client ? client->is_v4() : peer.is_v4();
    Event event =
        NewEvent(Level::kWarn, Failure::kNoTarget,
                 std::string("no target for ") + (v4 ? "IPv4 clients (set -4)" : "IPv6 clients (set -6)") +
                     "; dropped the datagram");
    event.load_balancer = peer;
    event.client = client;
    Emit(std::move(event));
    return nullptr;
  }
  if (client && shared_.config.dynamic_destination &&
      !DestinationAllowed(shared_.config, local_addresses_, *target)) {
    RefuseSession(peer, client, Failure::kDestinationNotAllowed, kDestinationNotAllowedCode,
                  DestinationRefusedReason(shared_.config, *target));
    return nullptr;
  }
  // LOCAL (and UNSPEC/UNIX) headers: from the load balancer's own address,
  // the real endpoint, as TCP does (tcp/worker_header.cc says why); from
  // ours when the load balancer is this host.
  std::optional<Address> source = client;
  if (!client) {
    Bump(counters_.local_headers);
    if (!local_addresses_.Contains(peer)) source = peer;
  }
  if (!MakeRoom()) return nullptr;
  UdpSession* session = OpenSession(peer, from, std::move(key), source, *target);
  if (session != nullptr) session->local_header = !client;
  return session;
}

// Under maxSessions (counted over every worker), closes one of this
// worker's sessions for the new one: the longest idle of those that have not
// exchanged traffic yet, else the longest idle confirmed one if it has been
// silent kMinIdleToEvictMs. Otherwise the new session waits: this datagram
// is dropped and counted (too_many_connections), so a flood from new forged
// clients pushes out only sessions like its own. False when dropped.
bool UdpWorker::MakeRoom() {
  unsigned cap = shared_.config.max_sessions;
  if (cap == 0 || shared_.active.load(std::memory_order_relaxed) < static_cast<int64_t>(cap)) return true;
  UdpSession* victim = nullptr;
  if (!probation_.empty()) {
    victim = probation_.front().get();
  } else if (!confirmed_.empty() && now_ms_ - confirmed_.front()->last_active_ms >= kMinIdleToEvictMs) {
    victim = confirmed_.front().get();
  }
  if (victim == nullptr) {
    counters_.Fail(Failure::kTooManyConnections);
    Emit(NewEvent(Level::kWarn, Failure::kTooManyConnections,
                  "dropped a datagram for a new session: " + std::to_string(cap) +
                      " sessions are open (--max-sessions), and none of this worker's is new or silent for " +
                      std::to_string(kMinIdleToEvictMs) + " ms"));
    return false;
  }
  Bump(counters_.sessions_evicted);
  if (shared_.config.debug_events) {
    Emit(SessionEvent(*victim, Level::kDebug, EventKind::kSessionEvicted,
                      std::string("closed the longest-idle ") + (victim->confirmed ? "" : "new ") +
                          "UDP session to open a new one (--max-sessions " + std::to_string(cap) + ")"));
  }
  CloseSession(*victim);
  return true;
}

UdpSession* UdpWorker::OpenSession(const Address& peer, const sockaddr_storage& from, std::string key,
                                   const std::optional<Address>& client, const Address& target) {
  Bump(counters_.accepted);
  UpstreamOptions options;
  options.spoof_source = client ? &*client : nullptr;
  options.mark = shared_.config.mark;
  options.datagram = true;
  UniqueFd upstream;
  std::optional<Address> source = client;
  std::string collision;  // why the client's address:port is taken, when it is
  SocketFailure failure;
  if (client && !shared_.udp_tuples.Claim(*client, target)) {
    collision = "another load balancer's session sends from it";
  } else {
    failure = StartConnect(target, options, &upstream);
    if (failure && client) shared_.udp_tuples.Release(*client, target);
    if (failure && client && IsAddressCollision(failure)) collision = CollisionCause(failure);
  }
  if (!collision.empty()) {
    if (!ResolveCollision(peer, *client, target, collision, options, &upstream, &source)) return nullptr;
  } else if (failure) {
    std::string message = "UDP session to " + target.ToString() + " from " +
                          (client ? client->ToString() : std::string("our own address")) +
                          " failed: " + failure.step + ": " + std::strerror(failure.error);
    if (failure.error == EPERM && failure.step.find("TRANSPARENT") != std::string::npos) {
      message += " (spoofing the client address needs CAP_NET_ADMIN)";
    }
    SessionFailed(peer, client, target, Failure::kConnectError, std::move(message), failure.error);
    return nullptr;
  }
  auto owned = std::make_unique<UdpSession>();
  UdpSession& session = *owned;
  session.upstream = std::move(upstream);
  epoll_event readable{EPOLLIN, {}};
  session.tag = {this, &session};
  readable.data.ptr = &session.tag;
  if (::epoll_ctl(epoll_fd(), EPOLL_CTL_ADD, session.upstream.get(), &readable) != 0) {
    if (source) shared_.udp_tuples.Release(*source, target);
    counters_.Fail(Failure::kConnectError);
    Emit(NewEvent(Level::kError, Failure::kConnectError,
                  std::string("epoll_ctl for a UDP session failed: ") + std::strerror(errno)));
    return nullptr;
  }
  session.info.id = NewFlowId();
  session.info.worker = index_;
  session.info.udp = true;
  session.info.load_balancer = peer;
  session.info.client = client;
  session.info.target = target;
  session.info.started_at_ms = WallMs();
  session.info.state.store(FlowState::kEstablished, std::memory_order_relaxed);
  session.reply_to = RawAddress(from);
  session.key = std::move(key);
  session.source = source;
  session.last_active_ms = now_ms_;
  shared_.active.fetch_add(1, std::memory_order_relaxed);
  Bump(counters_.established);
  by_key_.emplace(session.key, &session);
  session.position = probation_.insert(probation_.end(), std::move(owned));
  registry_.Insert(&session.info);
  return &session;
}

// The client's address:port is taken for this target: refused, the datagram
// is dropped as address_in_use (and so is each one after it, until the other
// session ends); else the session sends from the client's address with a
// port the kernel picks, claimed in the table like any other. True when
// `upstream` is connected and `source` names its address.
bool UdpWorker::ResolveCollision(const Address& peer, const Address& client, const Address& target,
                                 const std::string& cause, UpstreamOptions options, UniqueFd* upstream,
                                 std::optional<Address>* source) {
  if (shared_.config.collision == CollisionPolicy::kRefuse) {
    SessionFailed(peer, client, target, Failure::kAddressInUse,
                  CollisionRefusedMessage(client, target, cause, "dropped the datagram"), EADDRINUSE);
    return false;
  }
  options.ephemeral_port = true;
  SocketFailure failure = StartConnect(target, options, upstream);
  Address bound;
  if (!failure && !LocalAddress(upstream->get(), &bound)) failure = SocketFailure{"getsockname", errno};
  // A port nobody held at bind() time; the claim can only fail if that changed.
  if (!failure && !shared_.udp_tuples.Claim(bound, target)) failure = SocketFailure{"bind", EADDRINUSE};
  if (failure) {
    upstream->Reset();
    SessionFailed(peer, client, target, Failure::kAddressInUse,
                  CollisionUnresolvedMessage(client, target, cause, failure, "dropped the datagram"),
                  failure.error);
    return false;
  }
  Bump(counters_.collision_fallbacks);
  Event event = NewEvent(Level::kWarn, EventKind::kCollisionFallback,
                         CollisionFallbackMessage(client, target, cause, bound.port()));
  event.load_balancer = peer;
  event.client = client;
  event.target = target;
  event.code = "EADDRINUSE";
  Emit(std::move(event));
  *source = bound;
  return true;
}

void UdpWorker::SessionFailed(const Address& peer, const std::optional<Address>& client,
                              const Address& target, Failure reason, std::string message, int error) {
  counters_.Fail(reason);
  Event event = NewEvent(Level::kError, reason, std::move(message));
  event.load_balancer = peer;
  event.client = client;
  event.target = target;
  event.code = strerrorname_np(error);
  Emit(std::move(event));
}

}  // namespace mmproxy::dataplane
