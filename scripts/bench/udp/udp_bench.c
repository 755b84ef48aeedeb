/*
 * The UDP benchmark's two ends, in one small program:
 *   udp_bench echo ADDR:PORT
 *       answers every datagram with itself (recvmmsg/sendmmsg, 32 a call).
 *   udp_bench load PROXY_ADDR:PORT CLIENTS SIZE SECONDS WINDOW
 *       plays the load balancer: sends WINDOW datagrams of SIZE payload bytes,
 *       each behind a PROXY v2 DGRAM header naming one of CLIENTS spoofed
 *       clients (198.51.100.0/24 and up), then waits for their replies (or
 *       200 ms), and again, for SECONDS. Prints one JSON line of figures.
 *       CLIENTS 0: no header at all, for a direct run against the echo.
 * IPv4 only; everything stays on the namespace's loopback.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define MAX_DATAGRAM 65536
#define HEADER_LEN 28 /* 16 fixed + 12 for two IPv4 addresses and ports */
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

static void header(uint8_t *out, uint32_t client, uint16_t client_port, const struct sockaddr_in *target) {
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

static int load(char **argv) {
  struct sockaddr_in proxy = endpoint(argv[0]);
  int clients = atoi(argv[1]), size = atoi(argv[2]), window = atoi(argv[4]);
  double seconds = atof(argv[3]);
  if (clients < 0 || size < 1 || size > 60000 || window < 1 || window > 4096 || seconds <= 0) {
    fprintf(stderr, "usage: udp_bench load ADDR:PORT CLIENTS SIZE SECONDS WINDOW\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in self = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof self) != 0) die("load bind");
  if (connect(fd, (struct sockaddr *)&proxy, sizeof proxy) != 0) die("load connect");
  struct timeval wait = {0, REPLY_WAIT_MS * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  int buffer = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);

  /* Direct (no clients to claim): the payload alone. */
  const int header_len = clients == 0 ? 0 : HEADER_LEN;
  uint8_t *datagram = calloc(1, HEADER_LEN + size);
  uint8_t *reply = malloc(MAX_DATAGRAM);
  uint64_t sent = 0, received = 0, bytes = 0, next_client = 0;
  struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons(1)};
  inet_pton(AF_INET, "127.0.0.1", &target.sin_addr);
  double start = now_s(), end = start + seconds;
  while (now_s() < end) {
    int in_flight = 0;
    for (int i = 0; i < window; i++) {
      if (clients > 0) {
        uint64_t n = next_client++ % (uint64_t)clients;
        /* 198.51.100.1 and up, a new port per 250 addresses: distinct clients. */
        header(datagram, 0xC6336401u + (uint32_t)(n % 250), (uint16_t)(20000 + n / 250), &target);
      }
      if (send(fd, datagram, header_len + size, 0) == header_len + size) {
        sent++;
        in_flight++;
      }
    }
    while (in_flight > 0) {
      ssize_t got = recv(fd, reply, MAX_DATAGRAM, 0);
      if (got < 0) break; /* the rest were lost; go on with a new window */
      received++;
      bytes += (uint64_t)got;
      in_flight--;
    }
  }
  double elapsed = now_s() - start;
  printf(
      "{\"clients\":%d,\"payload\":%d,\"window\":%d,\"seconds\":%.2f,\"sent\":%llu,\"replies\":%llu,"
      "\"repliesPerSecond\":%.0f,\"replyMbitPerSecond\":%.1f,\"lost\":%llu}\n",
      clients, size, window, elapsed, (unsigned long long)sent, (unsigned long long)received,
      received / elapsed, bytes * 8 / elapsed / 1e6, (unsigned long long)(sent - received));
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "echo") == 0) echo(argv[2]);
  if (argc == 7 && strcmp(argv[1], "load") == 0) return load(argv + 2);
  fprintf(stderr, "usage: udp_bench echo ADDR:PORT | load ADDR:PORT CLIENTS SIZE SECONDS WINDOW\n");
  return 2;
}
