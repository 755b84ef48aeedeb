/* The load generator's configuration and its five workloads. Each workload
 * is one epoll loop on one thread, bounded in time, and prints one JSON
 * object on stdout. */
#ifndef MMPROXY_BENCH_LOADGEN_H
#define MMPROXY_BENCH_LOADGEN_H

#include "bench.h"

/* Message sizes are small by design; one buffer of this size serves all. */
#define MAX_MESSAGE 4096

struct loadgen_config {
  struct sockaddr_in target;
  int conns;
  double seconds;
  size_t message_size;
  int proxy_v2;          /* send a PROXY v2 header first, like send-proxy-v2 */
  double hold_seconds;   /* idle: longest wait for SIGTERM once established */
  uint64_t count;        /* connrate: stop after this many connections (0: run for `seconds`) */
  int echo_at_end;       /* idle: one more echo and a clean close per connection after the hold */
  uint64_t first_client; /* spoofed client of the first connection: runs side by side claim
                            distinct client addresses and ports */
  int ports;             /* connrate, idle: connection i goes to target's port + i mod ports (many
                            listeners, or one go-mmproxy per port); 1: the target's port only */
};

/* Where connection `index` goes: the target, its port moved by index mod ports. */
struct sockaddr_in target_of(const struct loadgen_config *config, uint64_t index);

/* What a new connection sends before its first message: the PROXY v2 header
 * for connection `index` (client first_client + index) when proxying,
 * nothing when direct. Returns the
 * length written to out. */
size_t client_preamble(const struct loadgen_config *config, uint64_t index, uint8_t out[PROXY_V2_TCP4_LEN]);

/* Sends all of buf on a socket whose send buffer is known to have room (a
 * fresh connection or one waiting for a reply); exits if it does not. */
void send_all_or_die(int fd, const void *buf, size_t len);

/* Waits for SIGTERM or SIGINT, at most hold_seconds: the runner measures
 * while the connections are held, then ends the load generator. */
void hold_until_term(double hold_seconds);

int run_pingpong(const struct loadgen_config *config);
int run_bulk(const struct loadgen_config *config);
int run_connrate(const struct loadgen_config *config);
int run_idle(const struct loadgen_config *config);
int run_stall(const struct loadgen_config *config);

#endif
