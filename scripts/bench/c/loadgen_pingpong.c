/*
 * Small messages: `conns` connections, each sending a message and waiting for
 * its echo before sending the next. Measures messages/s and the round-trip
 * latency, from the moment every connection has had its first echo.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

/* Setting up 50 connections through a proxy takes milliseconds; 10 s means
 * the path is broken, not slow. */
#define WARMUP_LIMIT_NS (10 * NS_PER_SEC)
#define EPOLL_BATCH 64
#define TICK_MS 50

struct pingpong_conn {
  int fd;
  int connected;
  int warmed;
  size_t received;
  uint64_t sent_at;
};

static struct histogram latency;

static void send_message(struct pingpong_conn *conn, const uint8_t *message, size_t size) {
  send_all_or_die(conn->fd, message, size);
  conn->sent_at = now_ns();
}

int run_pingpong(const struct loadgen_config *config) {
  static uint8_t message[MAX_MESSAGE];
  uint8_t first[PROXY_V2_TCP4_LEN + MAX_MESSAGE];
  uint8_t reply[MAX_MESSAGE];
  struct pingpong_conn *conns = calloc((size_t)config->conns, sizeof *conns);
  struct epoll_event events[EPOLL_BATCH];
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  int warmed = 0, measuring = 0;
  uint64_t messages = 0, start = now_ns(), end = 0;

  if (!conns || epfd < 0) die_errno("pingpong set-up");
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
      fprintf(stderr, "bench: only %d of %d connections got an echo within 10 s\n", warmed, config->conns);
      return 1;
    }
    ready = epoll_wait(epfd, events, EPOLL_BATCH, TICK_MS);
    if (ready < 0 && errno != EINTR) die_errno("epoll_wait");
    for (int e = 0; e < ready; e++) {
      struct pingpong_conn *conn = &conns[events[e].data.u32];
      ssize_t n;
      if (!conn->connected) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[e].data.u32};
        size_t preamble = client_preamble(config, events[e].data.u32, first);
        errno = connect_result(conn->fd);
        if (errno) die_errno("connect to the target");
        conn->connected = 1;
        if (epoll_ctl(epfd, EPOLL_CTL_MOD, conn->fd, &ev) < 0) die_errno("epoll_ctl");
        memcpy(first + preamble, message, config->message_size);
        send_all_or_die(conn->fd, first, preamble + config->message_size);
        conn->sent_at = now_ns();
        continue;
      }
      n = recv(conn->fd, reply, config->message_size - conn->received, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) die_errno("recv");
      if (n == 0) die("the echo closed a connection mid-run");
      conn->received += (size_t)n;
      if (conn->received < config->message_size) continue;
      conn->received = 0;
      if (measuring) {
        histogram_record(&latency, now_ns() - conn->sent_at);
        messages++;
      } else if (!conn->warmed) {
        conn->warmed = 1;
        if (++warmed == config->conns) {
          measuring = 1;
          start = now_ns();
          end = start + (uint64_t)(config->seconds * NS_PER_SEC);
        }
      }
      send_message(conn, message, config->message_size);
    }
  }

  {
    double elapsed = (double)(now_ns() - start) / NS_PER_SEC;
    printf(
        "{\"mode\":\"pingpong\",\"conns\":%d,\"message_size\":%zu,\"seconds\":%.3f,"
        "\"messages\":%llu,\"messages_per_s\":%.1f,\"p50_us\":%llu,\"p99_us\":%llu}\n",
        config->conns, config->message_size, elapsed, (unsigned long long)messages,
        (double)messages / elapsed, (unsigned long long)histogram_quantile_us(&latency, 0.50),
        (unsigned long long)histogram_quantile_us(&latency, 0.99));
  }
  return 0;
}
