/* The PROXY v2 header a load balancer with send-proxy-v2 would send, and the
 * documentation-range client addresses it claims. */
#include <arpa/inet.h>
#include <string.h>

#include "bench.h"

/* 198.51.100.0/24 (TEST-NET-2): 254 usable hosts. */
#define SPOOF_NET 0xC6336400u
#define SPOOF_HOSTS 254u
/* Ports 1024..65023: above the privileged range, a round 64000 per host. */
#define SPOOF_FIRST_PORT 1024u
#define SPOOF_PORTS 64000u

static const uint8_t proxy_v2_signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                               0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
/* Version 2, command PROXY. */
#define PROXY_V2_VERSION_PROXY 0x21
/* AF_INET, SOCK_STREAM. */
#define PROXY_V2_TCP4 0x11
#define PROXY_V2_TCP4_ADDR_LEN 12

struct sockaddr_in spoofed_client(uint64_t index) {
  struct sockaddr_in addr = {.sin_family = AF_INET};
  uint32_t host = 1u + (uint32_t)((index / SPOOF_PORTS) % SPOOF_HOSTS);
  addr.sin_addr.s_addr = htonl(SPOOF_NET | host);
  addr.sin_port = htons((uint16_t)(SPOOF_FIRST_PORT + index % SPOOF_PORTS));
  return addr;
}

size_t proxy_v2_header(uint8_t out[PROXY_V2_TCP4_LEN], const struct sockaddr_in *src,
                       const struct sockaddr_in *dst) {
  uint16_t addr_len = htons(PROXY_V2_TCP4_ADDR_LEN);
  memcpy(out, proxy_v2_signature, sizeof proxy_v2_signature);
  out[12] = PROXY_V2_VERSION_PROXY;
  out[13] = PROXY_V2_TCP4;
  memcpy(out + 14, &addr_len, 2);
  /* Address and port fields are already in network order. */
  memcpy(out + 16, &src->sin_addr.s_addr, 4);
  memcpy(out + 20, &dst->sin_addr.s_addr, 4);
  memcpy(out + 24, &src->sin_port, 2);
  memcpy(out + 26, &dst->sin_port, 2);
  return PROXY_V2_TCP4_LEN;
}
