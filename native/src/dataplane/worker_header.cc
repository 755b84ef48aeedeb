// From an accepted connection to an upstream connect: the PROXY header is
// peeked (never copied into the flow), parsed, then consumed exactly, so the
// bytes after it stay queued in the socket for the relay.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "dataplane/socket_options.h"
#include "dataplane/sockets.h"
#include "dataplane/worker.h"

namespace mmproxy::dataplane {
namespace {

// Most headers fit: v1 is at most 107 bytes, v2 with IPv6 addresses and a
// few TLVs a couple of hundred. Only a longer v2 header needs a second peek.
constexpr size_t kFirstPeekBytes = 512;

Failure ConnectFailure(int error) {
  switch (error) {
    case ETIMEDOUT: return Failure::kConnectTimeout;
    case ECONNREFUSED: return Failure::kConnectRefused;
    case EADDRINUSE:
    case EADDRNOTAVAIL: return Failure::kAddressInUse;
    default: return Failure::kConnectError;
  }
}

}  // namespace

void Worker::OnHeaderReadable(Flow& flow) {
  int fd = flow.client.fd.get();
  uint8_t* buffer = tools_.scratch;
  size_t want = kFirstPeekBytes;
  pp::Header header;
  pp::ParseResult result;
  ssize_t got;
  for (;;) {
    got = ::recv(fd, buffer, want, MSG_PEEK);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // the next bytes bring an edge
    if (got <= 0) {
      CloseBeforeHeader(flow, 0, got < 0 ? errno : 0);
      return;
    }
    result = pp::Parse(buffer, static_cast<size_t>(got), &header);
    if (result.status == pp::Status::kNeedMore && static_cast<size_t>(got) == want &&
        want < pp::kV2MaxLength) {
      want = pp::kV2MaxLength;
      continue;
    }
    break;
  }
  if (result.status == pp::Status::kError) {
    Bump(counters_.bad_headers[static_cast<size_t>(result.error)]);
    Fail(flow, Failure::kBadHeader, Level::kWarn,
         std::string("rejected the PROXY header from ") + flow.info.load_balancer.ToString() + ": " +
             pp::ErrorMessage(result.error),
         pp::ErrorCodeName(result.error));
    return;
  }
  if (result.status == pp::Status::kNeedMore) {
    // Everything queued was peeked; more bytes bring a new edge, unless the
    // peer already sent its FIN.
    if (flow.client.fin_pending) CloseBeforeHeader(flow, static_cast<size_t>(got), 0);
    return;
  }
  ssize_t consumed = ::recv(fd, buffer, header.length, 0);
  if (consumed != static_cast<ssize_t>(header.length)) {
    // Peeked bytes cannot vanish; if they did, the socket is broken.
    CloseBeforeHeader(flow, static_cast<size_t>(got), consumed < 0 ? errno : EIO);
    return;
  }
  OnHeaderParsed(flow, header);
}

// The load balancer closed (or failed) before sending a whole header. With
// no bytes at all it is a plain TCP health check: not worth a counter.
void Worker::CloseBeforeHeader(Flow& flow, size_t bytes_seen, int error) {
  if (bytes_seen > 0) {
    Bump(counters_.bad_headers[pp::kErrorCodeCount]);
    Fail(flow, Failure::kBadHeader, Level::kWarn,
         "the load balancer closed the connection after " + std::to_string(bytes_seen) +
             " bytes of an incomplete PROXY header",
         kTruncatedHeaderCode);
    return;
  }
  if (shared_.config.debug_events) {
    Event event = FlowEvent(flow, Level::kDebug, "closed_before_header",
                            "the load balancer closed the connection before sending a PROXY header");
    if (error != 0) event.code = strerrorname_np(error);
    Emit(std::move(event));
  }
  Close(flow);
}

const std::optional<Address>& Worker::TargetFor(sa_family_t family) const {
  return family == AF_INET ? shared_.config.target4 : shared_.config.target6;
}

void Worker::OnHeaderParsed(Flow& flow, const pp::Header& header) {
  // LOCAL (v2), UNKNOWN (v1) and UNIX-socket clients have no IP address to
  // spoof: connect from our own address, to the target for the family of
  // the real connection (as go-mmproxy does).
  bool spoof = !header.UsesRealConnection() &&
               (header.family == pp::Family::kInet || header.family == pp::Family::kInet6);
  std::optional<Address> client;
  std::optional<Address> target;
  if (spoof) {
    client = Address::FromKernel(header.source);
    target = shared_.config.dynamic_destination ? Address::FromKernel(header.destination)
                                                : TargetFor(client->family());
  } else {
    flow.local = true;
    Bump(counters_.local_headers);
    target = TargetFor(flow.info.load_balancer.family());
  }
  if (!target) {
    bool v4 = client ? client->is_v4() : flow.info.load_balancer.is_v4();
    Fail(flow, Failure::kNoTarget, Level::kWarn,
         std::string("no target for ") + (v4 ? "IPv4 clients (set -4)" : "IPv6 clients (set -6)") +
             "; closed the connection");
    return;
  }
  registry_.SetEndpoints(&flow.info, client, *target);

  UpstreamOptions options;
  options.spoof_source = client ? &*client : nullptr;
  options.mark = shared_.config.mark;
  UniqueFd upstream;
  SocketFailure failure = StartConnect(*target, options, &upstream);
  if (failure) {
    FailConnect(flow, failure.error, failure.step);
    return;
  }
  flow.target.fd = std::move(upstream);
  if (!Watch(flow.target)) {
    FailConnect(flow, errno, "epoll_ctl");
    return;
  }
  SetState(flow, FlowState::kConnecting);
  flow.deadline_ms = now_ms_ + shared_.config.connect_timeout_ms;
  connect_deadlines_.Add(flow.deadline_ms, flow.info.id);
}

void Worker::OnConnectResult(Flow& flow) {
  int error = TakeSocketError(flow.target.fd.get());
  if (error == 0) {
    Establish(flow);
  } else {
    FailConnect(flow, error, "connect");
  }
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
      message += " (another connection already uses the client's address and port)";
    }
  }
  Fail(flow, failure, Level::kError, std::move(message), strerrorname_np(error));
}

}  // namespace mmproxy::dataplane
