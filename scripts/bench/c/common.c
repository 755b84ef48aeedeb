/* Clocks, errors, socket set-up and message bytes shared by the load generator and backend. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

void die_errno(const char *message) {
  fprintf(stderr, "bench: %s: %s\n", message, strerror(errno));
  exit(1);
}

void die(const char *message) {
  fprintf(stderr, "bench: %s\n", message);
  exit(1);
}

struct sockaddr_in parse_endpoint(const char *text) {
  char host[64];
  const char *colon = strrchr(text, ':');
  struct sockaddr_in addr = {.sin_family = AF_INET};
  char *end = NULL;
  long port = colon ? strtol(colon + 1, &end, 10) : -1;

  if (!colon || (size_t)(colon - text) >= sizeof host || *end != '\0' || port < 1 || port > 65535) {
    fprintf(stderr, "bench: expected an IPv4 endpoint like 127.0.0.1:8000, got '%s'\n", text);
    exit(1);
  }
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = '\0';
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "bench: '%s' is not an IPv4 address\n", host);
    exit(1);
  }
  addr.sin_port = htons((uint16_t)port);
  return addr;
}

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die_errno("fcntl(O_NONBLOCK)");
}

void set_nodelay(int fd) {
  int on = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0) die_errno("setsockopt(TCP_NODELAY)");
}

int start_connect(const struct sockaddr_in *target) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  set_nodelay(fd);
  if (connect(fd, (const struct sockaddr *)target, sizeof *target) < 0 && errno != EINPROGRESS) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int connect_result(int fd) {
  int error = 0;
  socklen_t len = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) return errno;
  return error;
}

/* Byte `pos` of connection `index`'s message: the index's eight bytes in
 * turn, mixed with the position so that no two eight-byte runs repeat. */
static uint8_t message_byte(uint64_t index, size_t pos) {
  return (uint8_t)((index >> (8 * (pos % 8))) ^ (pos / 8 * 0x9Du));
}

void fill_message(uint8_t *out, size_t len, uint64_t index, size_t offset) {
  for (size_t i = 0; i < len; i++) out[i] = message_byte(index, offset + i);
}

int message_matches(const uint8_t *got, size_t len, uint64_t index, size_t offset) {
  for (size_t i = 0; i < len; i++) {
    if (got[i] != message_byte(index, offset + i)) return 0;
  }
  return 1;
}
