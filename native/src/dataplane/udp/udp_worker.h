// One data plane's UDP worker on one pool thread (a client of its EventLoop):
// one SO_REUSEPORT UDP listener and the sessions of the load balancers whose
// datagrams hash to it (the kernel keeps one source address:port on one
// socket, so tables stay per worker).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/shared/subnets.h"
#include "dataplane/shared/worker_client.h"
#include "dataplane/udp/datagram_batch.h"
#include "dataplane/udp/datagram_header.h"
#include "dataplane/udp/udp_session.h"
#include "os/sockets.h"
#include "proxy_header/parser.h"

namespace mmproxy::dataplane {

// StopAccepting() closes the listener and every session with it: without the
// listener no reply could reach the load balancer.
class UdpWorker final : public WorkerClient {
 public:
  UdpWorker(EventLoop& loop, SharedState& shared, UniqueFd listener);

  // The loop's calls (udp_worker.cc).
  int Attached(int64_t now_ms) override;
  void OnEvent(void* object, uint32_t events, int64_t now_ms) override;
  int64_t NextDeadlineMs() const override;
  void AfterEvents(int64_t now_ms) override;
  void CloseListener() override;
  void Detached() override;

 private:
  using SessionList = std::list<std::unique_ptr<UdpSession>>;

  // The session table (udp_worker.cc).
  void ExpireIdle();
  // Activity: `inbound` for a datagram from the load balancer, else a reply.
  void Touch(UdpSession& session, bool inbound);
  SessionList& ListOf(const UdpSession& session) { return session.confirmed ? confirmed_ : probation_; }
  // The session that has been silent longest, of both lists; null when none.
  UdpSession* LongestIdle() const;
  void CloseSession(UdpSession& session);
  Event SessionEvent(const UdpSession& session, Level level, Kind kind, std::string message) const;

  // Datagrams from the load balancer (udp_worker_inbound.cc).
  void ReadListener();
  void OnDatagram(const sockaddr_storage& from, uint8_t* data, size_t length, bool oversize);
  void RejectHeader(const Address& peer, size_t slot, const char* code, const std::string& why);
  // A well-formed header this host will not serve (header_policy.h): dropped, counted as `reason`.
  void RefuseSession(const Address& peer, const std::optional<Address>& client, Failure reason,
                     const char* code, const std::string& why);
  // `client`: HeaderClient(header); none for LOCAL and UNSPEC/UNIX headers,
  // whose session is the load balancer's own, from its address (as TCP).
  UdpSession* SessionFor(const Address& peer, const sockaddr_storage& from, const pp::Header& header,
                         const std::optional<Address>& client);
  UdpSession* OpenSession(const Address& peer, const sockaddr_storage& from, std::string key,
                          const std::optional<Address>& client, const Address& target);
  bool MakeRoom();
  bool ResolveCollision(const Address& peer, const Address& client, const Address& target,
                        const std::string& cause, UpstreamOptions options, UniqueFd* upstream,
                        std::optional<Address>* source);
  void SessionFailed(const Address& peer, const std::optional<Address>& client, const Address& target,
                     Failure reason, std::string message, int error);

  // What --udp-header changes (udp_worker_headers.cc): counts the header,
  // keeps an SPP header for the replies; frames a reply for its session.
  void NoteHeader(UdpSession& session, const DatagramHeader& read, const uint8_t* data);
  static size_t ReplyHeaderRoom(const UdpSession& session);
  static void FrameReply(const UdpSession& session, uint8_t* reply);
  // --udp-header first (udp_worker_first.cc): the session a bare datagram
  // belongs to; the session when a header names its flow's client again
  // (else the flow is refused); whether a refused flow is still refused.
  UdpSession* BareDatagramSession(const Address& peer);
  UdpSession* SameFlowOrRefuse(UdpSession& session, const Address& peer, const std::optional<Address>& client,
                               const pp::Header& header);
  bool InRefusedFlow(const Address& peer);

  // Replies from the targets (udp_worker_replies.cc).
  void ReadUpstream(UdpSession& session);
  void FlushReplies();

  // Two lists, each least recently active first: sessions that have not yet
  // exchanged traffic (the client has not sent again after a reply), and
  // those that have. At maxSessions the first make room before the second
  // (MakeRoom), so a flood of new forged clients cannot push out live ones.
  SessionList probation_;
  SessionList confirmed_;
  std::unordered_map<std::string, UdpSession*> by_key_;
  std::vector<std::unique_ptr<UdpSession>> closed_;  // freed at the end of a loop turn
  // --udp-header first: load balancer address:port keys of flows refused
  // for a changed header, and when each last sent a datagram.
  std::unordered_map<std::string, int64_t> refused_flows_;
  DatagramBatch inbound_;
  DatagramBatch replies_;
  unsigned pending_replies_ = 0;
  int64_t now_ms_ = 0;
};

}  // namespace mmproxy::dataplane
