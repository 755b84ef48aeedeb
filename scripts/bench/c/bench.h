/*
 * Shared pieces of the benchmark's load generator and backend: clocks,
 * IPv4 endpoints, the PROXY v2 header, the spoofed client addresses and a
 * latency histogram. Plain C so the measuring tools add as little as
 * possible to what they measure.
 */
#ifndef MMPROXY_BENCH_H
#define MMPROXY_BENCH_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define NS_PER_SEC 1000000000ull
#define NS_PER_US 1000ull

/* Latencies above this land in one overflow bucket: 1 s is far beyond any
 * loopback round trip, even on a busy shared machine. 8 MB of counters,
 * touched only where latencies fall. */
#define HIST_MAX_US 1000000u

/* PROXY v2 header for TCP over IPv4: 16 fixed bytes + 12 address bytes. */
#define PROXY_V2_TCP4_LEN 28

struct histogram {
  uint64_t count;
  uint64_t buckets[HIST_MAX_US + 1];
};

uint64_t now_ns(void);

/* Prints "bench: <message>: <strerror(errno)>" and exits 1. */
void die_errno(const char *message);
/* Prints "bench: <message>" and exits 1. */
void die(const char *message);

/* Parses "a.b.c.d:port"; exits with a clear message when it is malformed. */
struct sockaddr_in parse_endpoint(const char *text);

void set_nonblocking(int fd);
void set_nodelay(int fd);

/* Starts a non-blocking connect to `target`; returns the fd (connect in
 * progress or done), or -1 with errno set when the socket cannot start. */
int start_connect(const struct sockaddr_in *target);

/* 0 once a non-blocking connect finished well, else the socket error. */
int connect_result(int fd);

/* The index-th spoofed client: 198.51.100.1-254, ports 1024-65023, so
 * 16 million connections in one run never reuse a 4-tuple (the proxy's
 * upstream socket keeps TIME_WAIT on it). */
struct sockaddr_in spoofed_client(uint64_t index);

/* Bytes offset..offset+len of what connection `index` sends: a pattern that
 * differs between connections, so an echo that comes back altered, or on
 * another connection, does not match. */
void fill_message(uint8_t *out, size_t len, uint64_t index, size_t offset);
/* 1 when got[0..len) is bytes offset..offset+len of connection index's
 * message, else 0. */
int message_matches(const uint8_t *got, size_t len, uint64_t index, size_t offset);

/* Writes a PROXY v2 PROXY/TCP4 header for src -> dst; returns its length. */
size_t proxy_v2_header(uint8_t out[PROXY_V2_TCP4_LEN], const struct sockaddr_in *src,
                       const struct sockaddr_in *dst);

void histogram_record(struct histogram *h, uint64_t elapsed_ns);
/* The latency in microseconds at quantile q (0..1); HIST_MAX_US means "at
 * least that much". */
uint64_t histogram_quantile_us(const struct histogram *h, double q);

#endif
