// From an accepted connection to an upstream connect: the PROXY header is
// read and parsed, the target chosen, and the upstream connect started.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "dataplane/shared/address_collision.h"
#include "dataplane/shared/clock.h"
#include "dataplane/shared/header_client.h"
#include "dataplane/shared/header_policy.h"
#include "dataplane/tcp/worker.h"
#include "os/socket_options.h"
#include "os/sockets.h"

namespace mmproxy::dataplane {

namespace {

// A header in pieces is parsed at each of its first kEagerHeaderParses reads;
// after that only once it has grown by an eighth since the last parse, or is
// whole. Each parse walks every TLV so far: parsing every read of a 64 KiB
// header sent a byte at a time cost seconds of CPU, quadratic in its length;
// this keeps it linear. The verdict stays the one its bytes carry: a mistake
// in deferred bytes is found at the next parse, or when the bytes end
// (CloseBeforeHeader) or the header deadline passes.
constexpr uint32_t kEagerHeaderParses = 64;
constexpr unsigned kRegrowthShift = 3;  // an eighth

bool HeaderParseDue(const Flow& flow, const uint8_t* data, size_t length) {
  if (flow.header_parses < kEagerHeaderParses) return true;
  const size_t announced = pp::AnnouncedV2Length(data, length);
  // v1 (at most 107 bytes) is cheap to parse; a whole v2 header must be parsed.
  if (announced == 0 || length >= announced) return true;
  return length - flow.header_parsed_length >= (flow.header_parsed_length >> kRegrowthShift);
}

}  // namespace

namespace {

Failure ConnectFailure(int error) {
  switch (error) {
    case ETIMEDOUT:
      return Failure::kConnectTimeout;
    case ECONNREFUSED:
      return Failure::kConnectRefused;
    case EADDRINUSE:
    case EADDRNOTAVAIL:
      return Failure::kAddressInUse;
    default:
      return Failure::kConnectError;
  }
}

}  // namespace

// The header is read with plain recv()s, usually exactly one, which also
// brings whatever the load balancer sent right behind it. Those bytes go into
// the client half's chunk, which the relay writes to the target before it
// reads anything else. A header that arrives in pieces is collected in
// flow.partial_header until it parses. The first call comes straight from
// accept (the socket not yet in the epoll set); whenever it must wait for
// more bytes, the socket joins the set, whose edge-triggered registration
// reports bytes that came in between.
void Worker::OnHeaderReadable(Flow& flow) {
  std::vector<uint8_t>& partial = flow.partial_header;
  for (;;) {
    // At most one chunk per read: the bytes after the header, always fewer
    // than this read brought, then fit in one chunk.
    size_t room = ChunkPool::kChunkBytes;
    ssize_t got;
    do {
      got = ::recv(flow.client.fd.get(), tools_.scratch, room, 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      WatchForHeader(flow);  // new bytes bring an edge
      return;
    }
    if (got <= 0) {
      CloseBeforeHeader(flow, partial.size(), got < 0 ? errno : 0);
      return;
    }
    const uint8_t* data = tools_.scratch;
    size_t length = static_cast<size_t>(got);
    if (!partial.empty()) {
      partial.insert(partial.end(), data, data + length);
      data = partial.data();
      length = partial.size();
    }
    pp::Header header;
    pp::ParseResult result{pp::Status::kNeedMore, pp::ErrorCode::kNone};
    if (HeaderParseDue(flow, data, length)) {
      result = pp::Parse(data, length, &header);
      ++flow.header_parses;
      flow.header_parsed_length = length;
    }
    if (result.status == pp::Status::kError) {
      RejectHeader(flow, result.error);
      return;
    }
    if (result.status == pp::Status::kNeedMore) {
      if (partial.empty()) partial.assign(data, data + length);
      // A full read may have left bytes queued (edge-triggered: no new edge
      // for them); a short one drained the socket, and only a FIN already
      // queued means no more bytes will come.
      if (static_cast<size_t>(got) == room) continue;
      if (flow.client.fin_pending) {
        CloseBeforeHeader(flow, length, 0);
        return;
      }
      WatchForHeader(flow);
      return;
    }
    // As in the relay: a short read drained the socket, so the next bytes
    // bring an edge (the flags follow epoll from here on, also while
    // connecting); a full read or a queued FIN means more to read now.
    flow.client.readable = static_cast<size_t>(got) == room || flow.client.fin_pending;
    size_t rest = length - header.length;
    if (rest > 0) {
      flow.client.chunk = tools_.chunks.Take();
      std::memcpy(flow.client.chunk.get(), data + header.length, rest);
      flow.client.chunk_offset = 0;
      flow.client.chunk_length = rest;
    }
    std::vector<uint8_t>().swap(partial);  // the parsed header owns its addresses
    OnHeaderParsed(flow, header);
    return;
  }
}

// Waits for more of the header: the client socket joins the epoll set, if it
// has not yet. Failing that (out of memory), the connection is given up.
void Worker::WatchForHeader(Flow& flow) {
  if (Watch(flow.client)) return;
  Bump(counters_.accept_errors);
  Close(flow);
}

void Worker::RejectHeader(Flow& flow, pp::ErrorCode error) {
  Bump(counters_.bad_headers[static_cast<size_t>(error)]);
  Fail(flow, Failure::kBadHeader, Level::kWarn,
       std::string("rejected the PROXY header from ") + flow.info.load_balancer.ToString() + ": " +
           pp::ErrorMessage(error),
       pp::ErrorCodeName(error));
}

bool Worker::RejectDeferredMistake(Flow& flow) {
  const std::vector<uint8_t>& partial = flow.partial_header;
  if (partial.size() <= flow.header_parsed_length) return false;  // nothing unparsed
  pp::Header header;
  const pp::ParseResult result = pp::Parse(partial.data(), partial.size(), &header);
  if (result.status != pp::Status::kError) return false;
  RejectHeader(flow, result.error);
  return true;
}

// The load balancer closed (or failed) before sending a whole header. With
// no bytes at all it is a plain TCP health check: not worth a counter.
void Worker::CloseBeforeHeader(Flow& flow, size_t bytes_seen, int error) {
  // The verdict its bytes carry, as if each piece had been parsed.
  if (RejectDeferredMistake(flow)) return;
  if (bytes_seen > 0) {
    Bump(counters_.bad_headers[pp::kErrorCodeCount]);
    Fail(flow, Failure::kBadHeader, Level::kWarn,
         "the load balancer closed the connection after " + std::to_string(bytes_seen) +
             " bytes of an incomplete PROXY header",
         kTruncatedHeaderCode);
    return;
  }
  if (shared_.config.debug_events) {
    Event event = FlowEvent(flow, Level::kDebug, EventKind::kClosedBeforeHeader,
                            "the load balancer closed the connection before sending a PROXY header");
    if (error != 0) event.code = strerrorname_np(error);
    Emit(std::move(event));
  }
  Close(flow);
}

void Worker::OnHeaderParsed(Flow& flow, const pp::Header& header) {
  // LOCAL ignores the address block, transport included (spec 2.2).
  if (header.command == pp::Command::kProxy && header.transport == pp::Transport::kDgram) {
    Bump(counters_.bad_headers[kWrongTransportSlot]);
    Fail(flow, Failure::kBadHeader, Level::kWarn,
         "rejected the PROXY header from " + flow.info.load_balancer.ToString() +
             ": it describes a DGRAM (UDP) connection, not a stream; UDP needs `mmproxy -p udp`",
         kWrongTransportCode);
    return;
  }
  // LOCAL (v2), UNKNOWN (v1) and UNIX-socket clients have no IP address to
  // spoof: the spec says to use the real connection's endpoints, so the
  // target sees the load balancer's address:port (HAProxy's check-send-proxy
  // health checks connect like any client, and no header makes the app see
  // a local client). A load balancer on this host is local already: that
  // connection goes from our own address, as go-mmproxy's always do.
  std::optional<Address> client = HeaderClient(header);
  std::optional<Address> target;
  // Built only for a refusal: formatting addresses costs more than the checks.
  auto refused = [&flow](const std::string& reason) {
    return "rejected the PROXY header from " + flow.info.load_balancer.ToString() + ": " + reason;
  };
  if (client && !IsUnicastClient(*client)) {
    Bump(counters_.bad_headers[kClientNotUnicastSlot]);
    Fail(flow, Failure::kBadHeader, Level::kWarn, refused(NotUnicastReason(*client)), kClientNotUnicastCode);
    return;
  }
  if (client && RefusesLocalClient(shared_.config, local_addresses_, *client)) {
    Fail(flow, Failure::kLocalClient, Level::kWarn, refused(LocalClientReason(*client)), kLocalClientCode);
    return;
  }
  const bool named = client.has_value();  // else LOCAL/UNKNOWN: the load balancer's own flow
  if (named) {
    target = shared_.config.dynamic_destination ? Address::FromKernel(header.destination)
                                                : TargetFor(shared_.config, client->family());
  } else {
    Bump(counters_.local_headers);
    if (local_addresses_.Contains(flow.info.load_balancer)) {
      flow.local = true;
    } else {
      client = flow.info.load_balancer;
    }
    target = TargetFor(shared_.config, flow.info.load_balancer.family());
  }
  if (!target) {
    bool v4 = client ? client->is_v4() : flow.info.load_balancer.is_v4();
    Fail(flow, Failure::kNoTarget, Level::kWarn,
         std::string("no target for ") + (v4 ? "IPv4 clients (set -4)" : "IPv6 clients (set -6)") +
             "; closed the connection");
    return;
  }
  if (named && shared_.config.dynamic_destination &&
      !DestinationAllowed(shared_.config, local_addresses_, *target)) {
    Fail(flow, Failure::kDestinationNotAllowed, Level::kWarn,
         refused(DestinationRefusedReason(shared_.config, *target)), kDestinationNotAllowedCode);
    return;
  }
  registry_.SetEndpoints(&flow.info, client, *target);
  // The reset came with the header (edge-triggered: no event will repeat it).
  if (flow.client.error_pending) {
    AbortConnecting(flow);
    return;
  }
  // Read straight after accept: from here on epoll reports the client's
  // bytes, FIN or reset (a reset while connecting ends the flow at once).
  if (!Watch(flow.client)) {
    Bump(counters_.accept_errors);
    Close(flow);
    return;
  }

  UpstreamOptions options;
  options.spoof_source = client ? &*client : nullptr;
  options.mark = shared_.config.mark;
  UniqueFd upstream;
  // Includes making and binding the socket (a few microseconds) before connect().
  flow.connect_started_us = SteadyUs();
  SocketFailure failure = StartConnect(*target, options, &upstream);
  if (failure && client && IsAddressCollision(failure)) {
    if (!ResolveCollision(flow, failure, options, &upstream)) return;
  } else if (failure) {
    FailConnect(flow, failure.error, failure.step);
    return;
  }
  flow.target.fd = std::move(upstream);
  if (!Watch(flow.target)) {
    FailConnect(flow, errno, "epoll_ctl");
    return;
  }
  ConnectionsGetThrough();
  SetState(flow, FlowState::kConnecting);
  flow.deadline_ms = now_ms_ + shared_.config.connect_timeout_ms;
  connect_deadlines_.Add(flow.deadline_ms, flow.info.id);
}

// The client's address:port is taken for this target (two load balancers
// sent the same client). Refused, the flow fails as address_in_use; else it
// connects again from the client's address with a port the kernel picks.
// True when `upstream` is connecting.
bool Worker::ResolveCollision(Flow& flow, const SocketFailure& failure, UpstreamOptions options,
                              UniqueFd* upstream) {
  const Address& client = *flow.info.client;
  const Address& target = *flow.info.target;
  std::string cause = CollisionCause(failure);
  if (shared_.config.collision == CollisionPolicy::kRefuse) {
    Fail(flow, Failure::kAddressInUse, Level::kError,
         CollisionRefusedMessage(client, target, cause, "reset the load balancer's connection"),
         strerrorname_np(failure.error));
    return false;
  }
  options.ephemeral_port = true;
  SocketFailure retry = StartConnect(target, options, upstream);
  Address bound;
  if (!retry && !LocalAddress(upstream->get(), &bound)) retry = SocketFailure{"getsockname", errno};
  if (retry) {
    Fail(flow, Failure::kAddressInUse, Level::kError,
         CollisionUnresolvedMessage(client, target, cause, retry, "reset the load balancer's connection"),
         strerrorname_np(retry.error));
    return false;
  }
  Bump(counters_.collision_fallbacks);
  Event event = FlowEvent(flow, Level::kWarn, EventKind::kCollisionFallback,
                          CollisionFallbackMessage(client, target, cause, bound.port()));
  event.code = strerrorname_np(failure.error);
  Emit(std::move(event));
  return true;
}

void Worker::OnConnectResult(Flow& flow, uint32_t events) {
  // Writable without an error flag means connected: no getsockopt needed.
  int error = (events & (EPOLLERR | EPOLLHUP)) ? TakeSocketError(flow.target.fd.get()) : 0;
  if (error == 0) {
    // Read now, not at the start of the loop turn: loopback connects take
    // microseconds. Includes waiting for this loop turn, as the client does.
    counters_.connect_durations.Observe(static_cast<uint64_t>(SteadyUs() - flow.connect_started_us));
    Establish(flow);
  } else {
    FailConnect(flow, error, "connect");
  }
}

// The load balancer reset (or failed) its connection before the upstream
// connect completed: the flow ends now, not at the connect timeout, and is
// counted as the reset it is (relay_error, as once relaying), not as a target
// that did not answer, which `mmproxy doctor` reads as missing routing.
void Worker::AbortConnecting(Flow& flow) {
  int error = TakeSocketError(flow.client.fd.get());
  if (error == 0) error = ECONNRESET;  // the error was already taken: a reset is what sets it
  counters_.Fail(Failure::kRelayError);
  Event event = FlowEvent(flow, Level::kInfo, Failure::kRelayError,
                          std::string("the load balancer's connection failed (") + std::strerror(error) +
                              ") before the upstream connect completed; closed the flow");
  event.code = strerrorname_np(error);
  Emit(std::move(event));
  Close(flow);
}

void Worker::FailConnect(Flow& flow, int error, const std::string& step) {
  Failure failure = ConnectFailure(error);
  const Address& target = *flow.info.target;
  std::string from = flow.local ? "our own address" : flow.info.client->ToString();
  std::string what = "upstream connect to " + target.ToString() + " from " + from;
  std::string message;
  if (failure == Failure::kConnectTimeout && !flow.local) {
    message = what + " timed out after " + std::to_string(shared_.config.connect_timeout_ms) +
              " ms: the target's replies to the spoofed client address are probably not routed "
              "back over loopback (missing `ip rule ... lookup 123` / `ip route add local ... "
              "table 123`); run `mmproxy doctor`";
  } else if (failure == Failure::kConnectTimeout) {
    message = what + " timed out after " + std::to_string(shared_.config.connect_timeout_ms) +
              " ms: the target does not answer";
  } else {
    message = what + " failed: " + step + ": " + std::strerror(error);
    if (error == EPERM && step.find("TRANSPARENT") != std::string::npos) {
      message += " (spoofing the client address needs CAP_NET_ADMIN)";
    } else if (failure == Failure::kAddressInUse) {
      // Collisions of a client's own port are told apart before (ResolveCollision).
      message += " (no free source port for this target; see net.ipv4.ip_local_port_range)";
    }
  }
  // Out of descriptors, every new connection would fail the same way: one
  // warning for all (BackOffAccepting) says so, and this flow's line is
  // one of the failed connections -v 1 lists.
  bool exhausted = OutOfResources(error);
  Fail(flow, failure, exhausted ? Level::kInfo : Level::kError, std::move(message), strerrorname_np(error));
  if (exhausted) BackOffAccepting(error);
}

}  // namespace mmproxy::dataplane
