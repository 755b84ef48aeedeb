// --udp-header first: the load balancer (Cloudflare Spectrum's PROXY v2 for
// UDP, frp) puts a PROXY v2 header on the first datagram of a flow only and
// sends the rest bare, one source port per client flow. The session is that
// load balancer address:port; its bare datagrams go as the client the first
// header named, until the session closes.
//
// After the first datagram the bytes are the client's (the load balancer
// relays its payload unchanged), so a header there may be the client's own.
// Taking it would let any client choose the address it is relayed from.
// Hence:
//   - a bare datagram with no session (its flow's header was lost, came
//     later, or the session expired) is dropped and counted
//     (ERR_HEADERLESS_NO_SESSION), never relayed as the load balancer;
//   - a header naming the session's client again is taken off (some senders
//     repeat it) and the payload relayed;
//   - a header naming another client is refused (ERR_HEADER_CHANGED): the
//     session closes, so no reply for the first client reaches whoever the
//     load balancer now sends from that port, and everything from that
//     address:port is dropped until it has been silent for closeAfter. A
//     load balancer whose flow ended that long ago has forgotten it, so the
//     next header is its own again (docs/proxy.md, "Header modes").
#include "dataplane/udp/session_key.h"
#include "dataplane/udp/udp_worker.h"

namespace mmproxy::dataplane {
namespace {

// Past this many refused flows, inserting one first forgets the expired.
constexpr size_t kRefusedSweepAt = 1024;

std::string Describe(const std::optional<Address>& client) {
  return client ? client->ToString() : std::string("none (LOCAL)");
}

bool SameAddress(const std::optional<Address>& a, const std::optional<Address>& b) {
  if (!a || !b) return !a && !b;
  std::string key_a;
  std::string key_b;
  a->AppendKey(&key_a);
  b->AppendKey(&key_b);
  return key_a == key_b;
}

}  // namespace

UdpSession* UdpWorker::BareDatagramSession(const Address& peer) {
  auto it = by_key_.find(SessionKey(UdpHeaderMode::kFirst, peer, std::nullopt));
  if (it == by_key_.end()) {
    RejectHeader(
        peer, kHeaderlessSlot, kHeaderlessCode,
        "no PROXY header, and no session from this address:port: the first datagram of its flow (the "
        "one with the header) was lost or came later, or the session expired (--close-after); "
        "never relayed as the load balancer");
    return nullptr;
  }
  Bump(counters_.udp_headers.bare);
  return it->second;
}

UdpSession* UdpWorker::SameFlowOrRefuse(UdpSession& session, const Address& peer,
                                        const std::optional<Address>& client, const pp::Header& header) {
  if (KeysByClient(shared_.config.udp_header)) return &session;
  const std::optional<Address> named = session.local_header ? std::nullopt : session.info.client;
  bool same = SameAddress(named, client);
  if (same && client && shared_.config.dynamic_destination) {
    same = SameAddress(session.info.target, Address::FromKernel(header.destination));
  }
  if (same) return &session;
  Bump(counters_.udp_headers.header_changes);
  Bump(counters_.bad_headers[kHeaderChangedSlot]);
  counters_.Fail(Failure::kBadHeader);
  const int64_t quiet_s = shared_.config.close_after_ms / 1000;
  Event event = SessionEvent(
      session, Level::kWarn, Failure::kBadHeader,
      "dropped a datagram from " + peer.ToString() + ": its PROXY header names client " + Describe(client) +
          ", but the flow's first header named " + Describe(named) +
          "; a header after the first may be the client's own bytes, so the session is closed and this "
          "address:port refused until it has been silent for " +
          std::to_string(quiet_s) + " s (--close-after)");
  event.code = kHeaderChangedCode;
  Emit(std::move(event));
  std::string key = session.key;
  CloseSession(session);
  if (refused_flows_.size() >= kRefusedSweepAt) {
    for (auto it = refused_flows_.begin(); it != refused_flows_.end();) {
      it = now_ms_ - it->second >= shared_.config.close_after_ms ? refused_flows_.erase(it) : std::next(it);
    }
  }
  refused_flows_[std::move(key)] = now_ms_;
  return nullptr;
}

bool UdpWorker::InRefusedFlow(const Address& peer) {
  if (refused_flows_.empty()) return false;
  auto it = refused_flows_.find(SessionKey(UdpHeaderMode::kFirst, peer, std::nullopt));
  if (it == refused_flows_.end()) return false;
  if (now_ms_ - it->second >= shared_.config.close_after_ms) {
    refused_flows_.erase(it);
    return false;
  }
  it->second = now_ms_;
  RejectHeader(peer, kHeaderChangedSlot, kHeaderChangedCode,
               "its flow was refused for a header that named a new client; dropped until it has been silent "
               "for " +
                   std::to_string(shared_.config.close_after_ms / 1000) + " s (--close-after)");
  return true;
}

}  // namespace mmproxy::dataplane
