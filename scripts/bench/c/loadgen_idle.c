/*
 * Idle connections: open `conns` connections, each proven end to end by one
 * echoed message (its own bytes: fill_message), then hold them without
 * traffic. Prints one JSON line once all are up (the runner measures the
 * proxy's memory then) and waits for SIGTERM, at most `hold_seconds`. With --echo-at-end, each connection
 * then sends the next bytes of its message, checks their echo, half-closes and reads to the proxy's FIN, and
 * a second JSON line says how many did: proof that the held flows were still served, and closed cleanly,
 * after the hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

#define EPOLL_BATCH 256
#define TICK_MS 50
/* Connections being opened at once: well under the listen backlog (4096),
 * so the proxy never sees SYN drops that would measure retransmit timers. */
#define IN_FLIGHT 256
/* Opening 10,000 connections takes a second or two; 60 s means stuck. */
#define OPEN_LIMIT_NS (60 * NS_PER_SEC)
/* The same for the last echo and close of every connection. */
#define END_LIMIT_NS (60 * NS_PER_SEC)

struct idle_conn {
  int fd;
  int connected;
  size_t received;
};

struct idle_state {
  struct idle_conn *conns;
  int epfd;
  int opened, established, failed, corrupted, in_flight;
};

static void open_next(struct idle_state *state, const struct loadgen_config *config) {
  int index = state->opened++;
  struct idle_conn *conn = &state->conns[index];
  struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)index};
  struct sockaddr_in target = target_of(config, (uint64_t)index);
  conn->fd = start_connect(&target);
  if (conn->fd < 0) die_errno("connect (is the file descriptor limit high enough? the runner raises it)");
  if (epoll_ctl(state->epfd, EPOLL_CTL_ADD, conn->fd, &ev) < 0) die_errno("epoll_ctl");
  state->in_flight++;
}

/* Ends an opening attempt: the connection stays open (established) or is
 * closed and counted (failed). */
static void finish(struct idle_state *state, struct idle_conn *conn, int ok) {
  state->in_flight--;
  if (epoll_ctl(state->epfd, EPOLL_CTL_DEL, conn->fd, NULL) < 0) die_errno("epoll_ctl");
  if (ok) {
    state->established++;
    return;
  }
  close(conn->fd);
  conn->fd = -1;
  state->failed++;
}

static void on_event(struct idle_state *state, uint32_t index, const struct loadgen_config *config) {
  uint8_t buffer[PROXY_V2_TCP4_LEN + MAX_MESSAGE];
  struct idle_conn *conn = &state->conns[index];
  ssize_t n;

  if (!conn->connected) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = index};
    size_t preamble = client_preamble(config, index, buffer);
    if (connect_result(conn->fd) != 0) {
      finish(state, conn, 0);
      return;
    }
    conn->connected = 1;
    if (epoll_ctl(state->epfd, EPOLL_CTL_MOD, conn->fd, &ev) < 0) die_errno("epoll_ctl");
    fill_message(buffer + preamble, config->message_size, index, 0);
    send_all_or_die(conn->fd, buffer, preamble + config->message_size);
    return;
  }
  n = recv(conn->fd, buffer, config->message_size - conn->received, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    finish(state, conn, 0);
    return;
  }
  if (!message_matches(buffer, (size_t)n, index, conn->received)) {
    state->corrupted++;
    finish(state, conn, 0);
    return;
  }
  conn->received += (size_t)n;
  if (conn->received == config->message_size) finish(state, conn, 1);
}

/* The last round (--echo-at-end) on connection `index`: its second message
 * went out and SHUT_WR with it; `received` counts its echo. */
static void end_one(struct idle_state *state, uint32_t index, const struct loadgen_config *config,
                    int *pending, int *intact) {
  uint8_t buffer[MAX_MESSAGE];
  struct idle_conn *conn = &state->conns[index];
  ssize_t n = recv(conn->fd, buffer, sizeof buffer, 0);
  int well;

  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n > 0) {
    well = conn->received + (size_t)n <= config->message_size &&
           message_matches(buffer, (size_t)n, index, config->message_size + conn->received);
    conn->received += (size_t)n;
    if (well) return;
  } else {
    /* EOF (or an error): the proxy passed the backend's FIN on. */
    well = n == 0 && conn->received == config->message_size;
  }
  *intact += well;
  (*pending)--;
  close(conn->fd);
  conn->fd = -1;
}

/* Returns how many connections got their second echo intact and then the FIN. */
static int echo_at_end(struct idle_state *state, const struct loadgen_config *config) {
  uint8_t message[MAX_MESSAGE];
  struct epoll_event events[EPOLL_BATCH];
  uint64_t start = now_ns();
  int pending = 0, intact = 0;

  for (int i = 0; i < config->conns; i++) {
    struct idle_conn *conn = &state->conns[i];
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    fill_message(message, config->message_size, (uint64_t)i, config->message_size);
    send_all_or_die(conn->fd, message, config->message_size);
    if (shutdown(conn->fd, SHUT_WR) < 0) die_errno("shutdown");
    if (epoll_ctl(state->epfd, EPOLL_CTL_ADD, conn->fd, &ev) < 0) die_errno("epoll_ctl");
    conn->received = 0;
    pending++;
  }
  while (pending > 0 && now_ns() - start < END_LIMIT_NS) {
    int ready = epoll_wait(state->epfd, events, EPOLL_BATCH, TICK_MS);
    if (ready < 0 && errno != EINTR) die_errno("epoll_wait");
    for (int e = 0; e < ready; e++) end_one(state, events[e].data.u32, config, &pending, &intact);
  }
  printf("{\"mode\":\"idle-end\",\"conns\":%d,\"intact\":%d,\"seconds\":%.3f}\n", config->conns, intact,
         (double)(now_ns() - start) / NS_PER_SEC);
  return intact;
}

int run_idle(const struct loadgen_config *config) {
  struct idle_state state = {.conns = calloc((size_t)config->conns, sizeof(struct idle_conn)),
                             .epfd = epoll_create1(EPOLL_CLOEXEC)};
  struct epoll_event events[EPOLL_BATCH];
  uint64_t start = now_ns();

  if (!state.conns || state.epfd < 0) die_errno("idle set-up");
  while (state.established + state.failed < config->conns) {
    int ready;
    if (now_ns() - start > OPEN_LIMIT_NS) {
      fprintf(stderr, "bench: only %d of %d idle connections were up after 60 s\n", state.established,
              config->conns);
      return 1;
    }
    while (state.in_flight < IN_FLIGHT && state.opened < config->conns) open_next(&state, config);
    ready = epoll_wait(state.epfd, events, EPOLL_BATCH, TICK_MS);
    if (ready < 0 && errno != EINTR) die_errno("epoll_wait");
    for (int e = 0; e < ready; e++) on_event(&state, events[e].data.u32, config);
  }

  if (state.failed > 0) {
    fprintf(stderr,
            "bench: %d of %d idle connections were refused or closed, %d of them with a wrong echo "
            "(see the proxy's log)\n",
            state.failed, config->conns, state.corrupted);
    return 1;
  }
  printf("{\"mode\":\"idle\",\"conns\":%d,\"established\":%d,\"open_seconds\":%.3f}\n", config->conns,
         state.established, (double)(now_ns() - start) / NS_PER_SEC);
  fflush(stdout);
  hold_until_term(config->hold_seconds);
  if (config->echo_at_end) return echo_at_end(&state, config) == config->conns ? 0 : 1;
  return 0;
}
