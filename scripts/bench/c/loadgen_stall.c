/*
 * A reader that stops: `conns` connections push bytes as fast as the kernel
 * takes them towards a backend that accepts and never reads (backend
 * stall). Every buffer on the way fills up: the backend's receive buffer,
 * and through a proxy its two sockets, its pipes or, on an in-kernel fast
 * path, whatever the kernel queues for a redirect. Once no send has made
 * progress for STALL_QUIET_NS, the path is full; what the kernel took from
 * us and no longer holds in our own send queue (SIOCOUTQ) is what the path
 * holds for this flow. A path that never fills is cut off at
 * STALL_CAP_BYTES per connection, which the report shows as "at least".
 * Prints one JSON line, then holds the connections (until SIGTERM, at most
 * --hold seconds) so that the runner can read every socket's memory.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

#define EPOLL_BATCH 16
#define TICK_MS 20
/* One second without a byte taken: every buffer on the way is full (a
 * loopback round trip is microseconds, a window update a few). */
#define STALL_QUIET_NS (1 * NS_PER_SEC)
/* 64 MiB per flow: far above anything a bounded path holds (a few socket
 * buffers of at most 4-6 MiB each), yet small enough that an unbounded one
 * cannot hurt the machine. */
#define STALL_CAP_BYTES (64ull << 20)
#define WRITE_CHUNK (256 * 1024)

struct stall_conn {
  int fd;
  int connected;
  uint64_t sent;
};

/* Sends until the socket is full or the cap is reached; returns the bytes
 * the kernel took this time. */
static uint64_t push(struct stall_conn *conn, const uint8_t *payload) {
  uint64_t taken = 0;
  while (conn->sent < STALL_CAP_BYTES) {
    size_t want = WRITE_CHUNK;
    if (STALL_CAP_BYTES - conn->sent < want) want = (size_t)(STALL_CAP_BYTES - conn->sent);
    ssize_t n = send(conn->fd, payload, want, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) die_errno("send (the path reset a stalled flow)");
    conn->sent += (uint64_t)n;
    taken += (uint64_t)n;
  }
  return taken;
}

int run_stall(const struct loadgen_config *config) {
  static uint8_t payload[WRITE_CHUNK];
  uint8_t preamble[PROXY_V2_TCP4_LEN];
  struct stall_conn *conns = calloc((size_t)config->conns, sizeof *conns);
  struct epoll_event events[EPOLL_BATCH];
  int epfd = epoll_create1(EPOLL_CLOEXEC), connected = 0, capped = 0;
  uint64_t start = now_ns(), last_progress = start;
  uint64_t limit = (uint64_t)(config->seconds * NS_PER_SEC);

  if (!conns || epfd < 0) die_errno("stall set-up");
  memset(payload, 'x', sizeof payload);
  for (int i = 0; i < config->conns; i++) {
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
    conns[i].fd = start_connect(&config->target);
    if (conns[i].fd < 0) die_errno("connect");
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0) die_errno("epoll_ctl");
  }
  for (;;) {
    uint64_t now = now_ns();
    if (connected == config->conns && now - last_progress >= STALL_QUIET_NS) break;
    if (now - start > limit) {
      fprintf(stderr, "bench: the stalled path still took bytes after %.0f s\n", config->seconds);
      return 1;
    }
    int ready = epoll_wait(epfd, events, EPOLL_BATCH, TICK_MS);
    if (ready < 0 && errno != EINTR) die_errno("epoll_wait");
    for (int e = 0; e < ready; e++) {
      struct stall_conn *conn = &conns[events[e].data.u32];
      if (!conn->connected) {
        size_t len = client_preamble(config, events[e].data.u32, preamble);
        errno = connect_result(conn->fd);
        if (errno) die_errno("connect to the target");
        conn->connected = 1;
        connected++;
        if (len > 0) send_all_or_die(conn->fd, preamble, len);
        last_progress = now_ns();
      }
      if (push(conn, payload) > 0) last_progress = now_ns();
    }
  }

  {
    uint64_t sent = 0, unsent = 0;
    for (int i = 0; i < config->conns; i++) {
      int queued = 0;
      if (ioctl(conns[i].fd, SIOCOUTQ, &queued) < 0) die_errno("ioctl(SIOCOUTQ)");
      sent += conns[i].sent;
      unsent += (uint64_t)queued;
      capped += conns[i].sent >= STALL_CAP_BYTES;
    }
    printf(
        "{\"mode\":\"stall\",\"conns\":%d,\"seconds\":%.3f,\"sent\":%llu,\"unsent\":%llu,"
        "\"held_per_flow\":%llu,\"capped\":%d}\n",
        config->conns, (double)(now_ns() - start) / NS_PER_SEC, (unsigned long long)sent,
        (unsigned long long)unsent, (unsigned long long)((sent - unsent) / (uint64_t)config->conns), capped);
    fflush(stdout);
  }
  hold_until_term(config->hold_seconds);
  return 0;
}
