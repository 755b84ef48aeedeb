/*
 * backend echo|source|stall --listen IP:PORT
 * The application behind the proxy. echo: sends back whatever arrives, and
 * closes when the peer does. source: sends as fast as the peer reads, and
 * discards what arrives. stall: accepts and never reads (an application that
 * stopped reading: the backpressure workload). One thread, one epoll loop,
 * until SIGTERM.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

/* The kernel caps the backlog at net.core.somaxconn (4096 by default). */
#define LISTEN_BACKLOG 4096
#define EPOLL_BATCH 256
#define IO_CHUNK (256 * 1024)

enum backend_mode { MODE_ECHO, MODE_SOURCE, MODE_STALL };

/* Echo only: bytes read but not yet written back because the peer's
 * receive window was full. Reading stops until they are gone. */
struct pending {
  uint8_t *data;
  size_t len;
};

static struct pending *pending_by_fd;
static size_t pending_capacity;

static struct pending *pending_for(int fd) {
  if ((size_t)fd >= pending_capacity) {
    size_t capacity = (size_t)fd * 2 + 64;
    pending_by_fd = realloc(pending_by_fd, capacity * sizeof *pending_by_fd);
    if (!pending_by_fd) die_errno("realloc");
    memset(pending_by_fd + pending_capacity, 0, (capacity - pending_capacity) * sizeof *pending_by_fd);
    pending_capacity = capacity;
  }
  return &pending_by_fd[fd];
}

static void drop(int epfd, int fd) {
  struct pending *p = pending_for(fd);
  free(p->data);
  p->data = NULL;
  p->len = 0;
  epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
}

static void watch(int epfd, int op, int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (epoll_ctl(epfd, op, fd, &ev) < 0) die_errno("epoll_ctl");
}

static int listen_on(const struct sockaddr_in *addr) {
  int on = 1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die_errno("socket");
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) die_errno("setsockopt(SO_REUSEADDR)");
  if (bind(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) die_errno("bind");
  if (listen(fd, LISTEN_BACKLOG) < 0) die_errno("listen");
  return fd;
}

static void accept_all(int epfd, int listener, enum backend_mode mode) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      /* EMFILE and friends: leave the rest in the backlog for later. */
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        fprintf(stderr, "bench backend: accept: %s\n", strerror(errno));
      return;
    }
    set_nodelay(fd);
    /* Stall: the connection is held, unwatched, until the process ends. */
    if (mode == MODE_STALL) continue;
    watch(epfd, EPOLL_CTL_ADD, fd, mode == MODE_SOURCE ? EPOLLIN | EPOLLOUT : EPOLLIN);
  }
}

/* Writes the pending bytes; returns 0 when all are gone, 1 when some remain,
 * -1 when the peer is gone. */
static int flush_pending(int fd, struct pending *p) {
  ssize_t n = send(fd, p->data, p->len, MSG_NOSIGNAL);
  if (n < 0) return errno == EAGAIN || errno == EINTR ? 1 : -1;
  memmove(p->data, p->data + n, p->len - (size_t)n);
  p->len -= (size_t)n;
  return p->len > 0;
}

static void on_echo(int epfd, int fd, uint32_t events, uint8_t *buffer) {
  struct pending *p = pending_for(fd);
  ssize_t n, sent;

  if (p->len > 0) {
    int state = flush_pending(fd, p);
    if (state < 0)
      drop(epfd, fd);
    else if (state == 0)
      watch(epfd, EPOLL_CTL_MOD, fd, EPOLLIN);
    return;
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  n = recv(fd, buffer, IO_CHUNK, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    drop(epfd, fd);
    return;
  }
  sent = send(fd, buffer, (size_t)n, MSG_NOSIGNAL);
  if (sent < 0 && errno != EAGAIN) {
    drop(epfd, fd);
    return;
  }
  if (sent < 0) sent = 0;
  if (sent < n) {
    p->len = (size_t)(n - sent);
    if (!p->data) p->data = malloc(IO_CHUNK);
    if (!p->data) die_errno("malloc");
    memcpy(p->data, buffer + sent, p->len);
    watch(epfd, EPOLL_CTL_MOD, fd, EPOLLOUT);
  }
}

static void on_source(int epfd, int fd, uint32_t events, uint8_t *buffer) {
  static uint8_t payload[IO_CHUNK];
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    ssize_t n = recv(fd, buffer, IO_CHUNK, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      drop(epfd, fd);
      return;
    }
  }
  if (events & EPOLLOUT) {
    ssize_t n = send(fd, payload, sizeof payload, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) drop(epfd, fd);
  }
}

int main(int argc, char **argv) {
  static uint8_t buffer[IO_CHUNK];
  struct epoll_event events[EPOLL_BATCH];
  enum backend_mode mode;
  struct sockaddr_in addr;
  int epfd, listener;

  if (argc != 4 || strcmp(argv[2], "--listen") != 0 ||
      (strcmp(argv[1], "echo") != 0 && strcmp(argv[1], "source") != 0 && strcmp(argv[1], "stall") != 0)) {
    fprintf(stderr, "usage: backend echo|source|stall --listen IP:PORT\n");
    return 2;
  }
  mode = strcmp(argv[1], "echo") == 0 ? MODE_ECHO : strcmp(argv[1], "source") == 0 ? MODE_SOURCE : MODE_STALL;
  addr = parse_endpoint(argv[3]);
  signal(SIGPIPE, SIG_IGN);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die_errno("epoll_create1");
  listener = listen_on(&addr);
  watch(epfd, EPOLL_CTL_ADD, listener, EPOLLIN);

  for (;;) {
    int ready = epoll_wait(epfd, events, EPOLL_BATCH, -1);
    if (ready < 0 && errno != EINTR) die_errno("epoll_wait");
    for (int e = 0; e < ready; e++) {
      int fd = events[e].data.fd;
      if (fd == listener)
        accept_all(epfd, listener, mode);
      else if (mode == MODE_ECHO)
        on_echo(epfd, fd, events[e].events, buffer);
      else
        on_source(epfd, fd, events[e].events, buffer);
    }
  }
}
