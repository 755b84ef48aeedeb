/*
 * New connections per second: `conns` slots, each in a loop of connect, send
 * the PROXY header and a small request in one write, wait for the echo,
 * close. Measures completed connections/s and the latency from connect() to
 * the whole reply. Failures are counted by kind, not fatal: a proxy that
 * drops connections under load shows up in the numbers. Each connection's
 * request is its own (fill_message), and an echo that differs is counted
 * as corrupted. With a count, the run ends once that many connections were
 * made (or at the time limit, whichever comes first).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

#define EPOLL_BATCH 64
#define TICK_MS 20
/* A connection with no reply after 2 s is stuck (lost SYN, dropped flow);
 * it is abandoned and counted so its slot keeps working. */
#define ATTEMPT_TIMEOUT_NS (2 * NS_PER_SEC)

struct connrate_slot {
  int fd; /* -1 when the slot waits for the next tick to retry */
  int connected;
  size_t received;
  uint64_t started_at;
  uint64_t client_index; /* which spoofed client this attempt claims */
};

struct connrate_counts {
  uint64_t attempts, completed, connect_errors, closed_early, timeouts, corrupted;
};

static struct histogram latency;

static uint64_t event_key(uint32_t slot, int fd) { return ((uint64_t)slot << 32) | (uint32_t)fd; }

static void close_slot(struct connrate_slot *slot) {
  close(slot->fd);
  slot->fd = -1;
}

/* Starts the slot's next connection; on a local failure (for example no
 * free port) the slot stays empty until the next tick, and for good once
 * the count is reached. */
static void open_slot(int epfd, uint32_t index, struct connrate_slot *slot,
                      const struct loadgen_config *config, struct connrate_counts *counts) {
  struct epoll_event ev = {.events = EPOLLOUT};
  slot->fd = -1;
  if (config->count != 0 && counts->attempts >= config->count) return;
  slot->client_index = counts->attempts++;
  slot->connected = 0;
  slot->received = 0;
  slot->started_at = now_ns();
  {
    struct sockaddr_in target = target_of(config, slot->client_index);
    slot->fd = start_connect(&target);
  }
  if (slot->fd < 0) {
    counts->connect_errors++;
    return;
  }
  ev.data.u64 = event_key(index, slot->fd);
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, slot->fd, &ev) < 0) die_errno("epoll_ctl");
}

/* Handles one readiness event; returns 1 when the slot's connection ended
 * (completed or failed) and the slot needs a new one. */
static int on_event(int epfd, uint32_t index, struct connrate_slot *slot, const struct loadgen_config *config,
                    struct connrate_counts *counts) {
  uint8_t first[PROXY_V2_TCP4_LEN + MAX_MESSAGE];
  uint8_t reply[MAX_MESSAGE];
  ssize_t n;

  if (!slot->connected) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = event_key(index, slot->fd)};
    size_t preamble = client_preamble(config, slot->client_index, first);
    if (connect_result(slot->fd) != 0) {
      counts->connect_errors++;
      return 1;
    }
    slot->connected = 1;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, slot->fd, &ev) < 0) die_errno("epoll_ctl");
    fill_message(first + preamble, config->message_size, slot->client_index, 0);
    send_all_or_die(slot->fd, first, preamble + config->message_size);
    return 0;
  }
  n = recv(slot->fd, reply, config->message_size - slot->received, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  if (n <= 0) {
    counts->closed_early++;
    return 1;
  }
  if (!message_matches(reply, (size_t)n, slot->client_index, slot->received)) {
    counts->corrupted++;
    return 1;
  }
  slot->received += (size_t)n;
  if (slot->received < config->message_size) return 0;
  histogram_record(&latency, now_ns() - slot->started_at);
  counts->completed++;
  return 1;
}

int run_connrate(const struct loadgen_config *config) {
  struct connrate_slot *slots = calloc((size_t)config->conns, sizeof *slots);
  struct connrate_counts counts = {0};
  struct epoll_event events[EPOLL_BATCH];
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  uint64_t start = now_ns(), end = start + (uint64_t)(config->seconds * NS_PER_SEC);

  if (!slots || epfd < 0) die_errno("connrate set-up");
  for (int i = 0; i < config->conns; i++) open_slot(epfd, (uint32_t)i, &slots[i], config, &counts);

  /* Slots with a connection in progress, as of the last tick. */
  for (int busy = config->conns; now_ns() < end;) {
    if (config->count != 0 && counts.attempts >= config->count && busy == 0) break;
    int ready = epoll_wait(epfd, events, EPOLL_BATCH, TICK_MS);
    uint64_t now;
    if (ready < 0 && errno != EINTR) die_errno("epoll_wait");
    for (int e = 0; e < ready; e++) {
      uint32_t index = (uint32_t)(events[e].data.u64 >> 32);
      struct connrate_slot *slot = &slots[index];
      /* An event for a descriptor this slot already closed. */
      if (slot->fd != (int)(uint32_t)events[e].data.u64) continue;
      if (on_event(epfd, index, slot, config, &counts)) {
        close_slot(slot);
        open_slot(epfd, index, slot, config, &counts);
      }
    }
    now = now_ns();
    busy = 0;
    for (int i = 0; i < config->conns; i++) {
      if (slots[i].fd >= 0 && now - slots[i].started_at < ATTEMPT_TIMEOUT_NS) {
        busy++;
        continue;
      }
      if (slots[i].fd >= 0) {
        counts.timeouts++;
        close_slot(&slots[i]);
      }
      open_slot(epfd, (uint32_t)i, &slots[i], config, &counts);
      busy += slots[i].fd >= 0;
    }
  }

  {
    double elapsed = (double)(now_ns() - start) / NS_PER_SEC;
    printf(
        "{\"mode\":\"connrate\",\"conns\":%d,\"message_size\":%zu,\"seconds\":%.3f,"
        "\"attempts\":%llu,\"completed\":%llu,\"conns_per_s\":%.1f,\"p50_us\":%llu,\"p99_us\":%llu,"
        "\"connect_errors\":%llu,\"closed_early\":%llu,\"timeouts\":%llu,\"corrupted\":%llu}\n",
        config->conns, config->message_size, elapsed, (unsigned long long)counts.attempts,
        (unsigned long long)counts.completed, (double)counts.completed / elapsed,
        (unsigned long long)histogram_quantile_us(&latency, 0.50),
        (unsigned long long)histogram_quantile_us(&latency, 0.99), (unsigned long long)counts.connect_errors,
        (unsigned long long)counts.closed_early, (unsigned long long)counts.timeouts,
        (unsigned long long)counts.corrupted);
  }
  return 0;
}
