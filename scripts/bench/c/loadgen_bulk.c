/*
 * Bulk transfer: `conns` connections to a source backend that sends as fast
 * as it can; the load generator only reads. Throughput is counted at the
 * receiver, from the moment every connection has received its first bytes,
 * so nothing sitting in a socket buffer is counted as delivered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

#define WARMUP_LIMIT_NS (10 * NS_PER_SEC)
#define EPOLL_BATCH 16
#define TICK_MS 50
/* 256 KiB per read: a few default socket buffers' worth, so one wake-up
 * drains what arrived. */
#define READ_CHUNK (256 * 1024)
/* Reads per wake-up before moving on, so no connection starves the others. */
#define READS_PER_EVENT 16

struct bulk_conn {
  int fd;
  int connected;
  int warmed;
};

int run_bulk(const struct loadgen_config *config) {
  static uint8_t buffer[READ_CHUNK];
  uint8_t preamble[PROXY_V2_TCP4_LEN];
  struct bulk_conn *conns = calloc((size_t)config->conns, sizeof *conns);
  struct epoll_event events[EPOLL_BATCH];
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  int warmed = 0, measuring = 0;
  uint64_t bytes = 0, start = now_ns(), end = 0;

  if (!conns || epfd < 0) die_errno("bulk set-up");
  for (int i = 0; i < config->conns; i++) {
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
    conns[i].fd = start_connect(&config->target);
    if (conns[i].fd < 0) die_errno("connect");
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0) die_errno("epoll_ctl");
  }

  for (;;) {
    uint64_t now = now_ns();
    int ready;
    if (measuring && now >= end) break;
    if (!measuring && now - start > WARMUP_LIMIT_NS) {
      fprintf(stderr, "bench: only %d of %d connections received data within 10 s\n", warmed, config->conns);
      return 1;
    }
    ready = epoll_wait(epfd, events, EPOLL_BATCH, TICK_MS);
    if (ready < 0 && errno != EINTR) die_errno("epoll_wait");
    for (int e = 0; e < ready; e++) {
      struct bulk_conn *conn = &conns[events[e].data.u32];
      if (!conn->connected) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[e].data.u32};
        size_t len = client_preamble(config, events[e].data.u32, preamble);
        errno = connect_result(conn->fd);
        if (errno) die_errno("connect to the target");
        conn->connected = 1;
        if (epoll_ctl(epfd, EPOLL_CTL_MOD, conn->fd, &ev) < 0) die_errno("epoll_ctl");
        if (len > 0) send_all_or_die(conn->fd, preamble, len);
        continue;
      }
      for (int r = 0; r < READS_PER_EVENT; r++) {
        ssize_t n = recv(conn->fd, buffer, sizeof buffer, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (n < 0) die_errno("recv");
        if (n == 0) die("the source closed a connection mid-run");
        bytes += (uint64_t)n;
        if (!conn->warmed) {
          conn->warmed = 1;
          if (++warmed == config->conns) {
            measuring = 1;
            bytes = 0;
            start = now_ns();
            end = start + (uint64_t)(config->seconds * NS_PER_SEC);
          }
        }
      }
    }
  }

  {
    double elapsed = (double)(now_ns() - start) / NS_PER_SEC;
    printf(
        "{\"mode\":\"bulk\",\"conns\":%d,\"seconds\":%.3f,\"bytes\":%llu,"
        "\"gbit_per_s\":%.3f}\n",
        config->conns, elapsed, (unsigned long long)bytes, (double)bytes * 8 / elapsed / 1e9);
  }
  return 0;
}
