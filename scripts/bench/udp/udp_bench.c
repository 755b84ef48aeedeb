/*
 * The UDP benchmark's two ends, in one small program:
 *   udp_bench echo ADDR:PORT
 *       answers every datagram with itself (recvmmsg/sendmmsg, 32 a call).
 *   udp_bench load PROXY_ADDR:PORT CLIENTS SIZE SECONDS WINDOW [MODE]
 *       plays the load balancer: sends WINDOW datagrams of SIZE payload bytes
 *       for CLIENTS spoofed clients (198.51.100.0/24 and up), then waits for
 *       their replies (or 200 ms), and again, for SECONDS. Prints one JSON
 *       line of figures. MODE, as --udp-header: every (a PROXY v2 DGRAM header
 *       on each datagram, the default), first (a socket per client, the header
 *       on its first datagram only) or spp (Cloudflare's SPP on each).
 *       CLIENTS 0: no header at all, for a direct run against the echo.
 * IPv4 only; everything stays on the namespace's loopback.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define MAX_DATAGRAM 65536
#define V2_HEADER_LEN 28 /* 16 fixed + 12 for two IPv4 addresses and ports */
#define SPP_HEADER_LEN 38
#define MAX_HEADER SPP_HEADER_LEN
#define REPLY_WAIT_MS 200

static void die(const char *what) {
  perror(what);
  exit(1);
}

static struct sockaddr_in endpoint(const char *text) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (!colon || (size_t)(colon - text) >= sizeof host) {
    fprintf(stderr, "bad endpoint %s\n", text);
    exit(2);
  }
  memcpy(host, text, colon - text);
  host[colon - text] = 0;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
    fprintf(stderr, "bad address %s\n", host);
    exit(2);
  }
  return address;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

_Noreturn static void echo(const char *listen_at) {
  struct sockaddr_in address = endpoint(listen_at);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0) die("echo bind");
  static uint8_t buffers[BATCH][MAX_DATAGRAM];
  struct sockaddr_in peers[BATCH];
  struct iovec iov[BATCH];
  struct mmsghdr messages[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){buffers[i], MAX_DATAGRAM};
      messages[i] = (struct mmsghdr){
          .msg_hdr = {
              .msg_name = &peers[i], .msg_namelen = sizeof peers[i], .msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    int got = recvmmsg(fd, messages, BATCH, MSG_WAITFORONE, NULL);
    if (got < 0) {
      if (errno == EINTR) continue;
      die("recvmmsg");
    }
    for (int i = 0; i < got; i++) iov[i].iov_len = messages[i].msg_len;
    /* A loss here is a loss the load generator sees and reports. */
    sendmmsg(fd, messages, got, 0);
  }
}

static void v2_header(uint8_t *out, uint32_t client, uint16_t client_port, const struct sockaddr_in *target) {
  static const uint8_t signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                        0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  memcpy(out, signature, 12);
  out[12] = 0x21; /* v2, PROXY */
  out[13] = 0x12; /* AF_INET, DGRAM */
  out[14] = 0;
  out[15] = 12;
  uint32_t source = htonl(client);
  memcpy(out + 16, &source, 4);
  memcpy(out + 20, &target->sin_addr, 4);
  uint16_t source_port = htons(client_port);
  memcpy(out + 24, &source_port, 2);
  memcpy(out + 26, &target->sin_port, 2);
}

/* Cloudflare's SPP: magic, client and proxy as IPv4-mapped IPv6, client port, proxy port. */
static void spp_header(uint8_t *out, uint32_t client, uint16_t client_port,
                       const struct sockaddr_in *target) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  out[0] = 0x56;
  out[1] = 0xEC;
  memcpy(out + 2, mapped, 12);
  uint32_t source = htonl(client);
  memcpy(out + 14, &source, 4);
  memcpy(out + 18, mapped, 12);
  memcpy(out + 30, &target->sin_addr, 4);
  uint16_t source_port = htons(client_port);
  memcpy(out + 34, &source_port, 2);
  memcpy(out + 36, &target->sin_port, 2);
}

enum mode { MODE_EVERY, MODE_FIRST, MODE_SPP };

static int open_socket(const struct sockaddr_in *proxy, int epoll_fd, int index) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in self = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof self) != 0) die("load bind");
  if (connect(fd, (const struct sockaddr *)proxy, sizeof *proxy) != 0) die("load connect");
  int buffer = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)index};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) die("epoll_ctl");
  return fd;
}

static int load(char **argv, int argc) {
  struct sockaddr_in proxy = endpoint(argv[0]);
  int clients = atoi(argv[1]), size = atoi(argv[2]), window = atoi(argv[4]);
  double seconds = atof(argv[3]);
  const char *mode_name = argc > 5 ? argv[5] : "every";
  enum mode mode = strcmp(mode_name, "first") == 0 ? MODE_FIRST
                   : strcmp(mode_name, "spp") == 0 ? MODE_SPP
                                                   : MODE_EVERY;
  if (clients < 0 || size < 1 || size > 60000 || window < 1 || window > 4096 || seconds <= 0 ||
      (mode == MODE_EVERY && strcmp(mode_name, "every") != 0)) {
    fprintf(stderr, "usage: udp_bench load ADDR:PORT CLIENTS SIZE SECONDS WINDOW [every|first|spp]\n");
    return 2;
  }
  /* first: a session is the load balancer's address and port, so a socket per client. */
  int sockets = mode == MODE_FIRST && clients > 0 ? clients : 1;
  int epoll_fd = epoll_create1(0);
  if (epoll_fd < 0) die("epoll_create1");
  int *fds = calloc((size_t)sockets, sizeof *fds);
  bool *opened = calloc((size_t)sockets, sizeof *opened);
  for (int i = 0; i < sockets; i++) fds[i] = open_socket(&proxy, epoll_fd, i);

  uint8_t *datagram = calloc(1, MAX_HEADER + size);
  uint8_t *reply = malloc(MAX_DATAGRAM);
  struct epoll_event events[BATCH];
  uint64_t sent = 0, received = 0, bytes = 0, next_client = 0;
  struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons(1)};
  inet_pton(AF_INET, "127.0.0.1", &target.sin_addr);
  double start = now_s(), end = start + seconds;
  while (now_s() < end) {
    int in_flight = 0;
    for (int i = 0; i < window; i++) {
      int header_len = 0, fd = fds[0];
      if (clients > 0) {
        uint64_t n = next_client++ % (uint64_t)clients;
        /* 198.51.100.1 and up, a new port per 250 addresses: distinct clients. */
        uint32_t address = 0xC6336401u + (uint32_t)(n % 250);
        uint16_t port = (uint16_t)(20000 + n / 250);
        if (mode == MODE_SPP) {
          spp_header(datagram, address, port, &target);
          header_len = SPP_HEADER_LEN;
        } else if (mode == MODE_EVERY || !opened[n]) {
          v2_header(datagram, address, port, &target);
          header_len = V2_HEADER_LEN;
        }
        if (mode == MODE_FIRST) {
          fd = fds[n];
          opened[n] = true;
        }
      }
      /* The payload sits after the longest header; a shorter one is moved up to it. */
      uint8_t *start_of = datagram + MAX_HEADER - header_len;
      if (header_len > 0) memmove(start_of, datagram, (size_t)header_len);
      if (send(fd, start_of, (size_t)(header_len + size), 0) == header_len + size) {
        sent++;
        in_flight++;
      }
    }
    while (in_flight > 0) {
      int ready = epoll_wait(epoll_fd, events, BATCH, REPLY_WAIT_MS);
      if (ready <= 0) break; /* the rest were lost; go on with a new window */
      for (int e = 0; e < ready; e++) {
        for (;;) {
          ssize_t got = recv(fds[events[e].data.u32], reply, MAX_DATAGRAM, 0);
          if (got < 0) break;
          received++;
          bytes += (uint64_t)got;
          in_flight--;
        }
      }
    }
  }
  double elapsed = now_s() - start;
  printf(
      "{\"mode\":\"%s\",\"clients\":%d,\"payload\":%d,\"window\":%d,\"seconds\":%.2f,\"sent\":%llu,"
      "\"replies\":%llu,"
      "\"repliesPerSecond\":%.0f,\"replyMbitPerSecond\":%.1f,\"lost\":%llu}\n",
      clients == 0 ? "none" : mode_name, clients, size, window, elapsed, (unsigned long long)sent,
      (unsigned long long)received, received / elapsed, bytes * 8 / elapsed / 1e6,
      (unsigned long long)(sent - received));
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "echo") == 0) echo(argv[2]);
  if ((argc == 7 || argc == 8) && strcmp(argv[1], "load") == 0) return load(argv + 2, argc - 2);
  fprintf(stderr,
          "usage: udp_bench echo ADDR:PORT | load ADDR:PORT CLIENTS SIZE SECONDS WINDOW [every|first|spp]\n");
  return 2;
}
