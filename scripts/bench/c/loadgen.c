/*
 * loadgen MODE --target IP:PORT [--conns N] [--seconds S] [--size BYTES]
 *         [--proxy-v2] [--hold S] [--count N] [--echo-at-end] [--first-client I]
 * MODE: pingpong | bulk | connrate | idle | stall. Prints one JSON object on stdout.
 * connrate --count N makes N connections and stops, within --seconds.
 * idle --echo-at-end: after the hold, one more echo and a clean close each.
 * --first-client I: the PROXY headers claim spoofed clients from index I on.
 * --ports N (connrate, idle): connection i goes to the target's port + i mod N.
 */
#include "loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen pingpong|bulk|connrate|idle|stall --target IP:PORT [--conns N]\n"
          "               [--seconds S] [--size BYTES] [--proxy-v2] [--hold S] [--count N]\n"
          "               [--echo-at-end] [--first-client I] [--ports N]\n");
  exit(2);
}

struct sockaddr_in target_of(const struct loadgen_config *config, uint64_t index) {
  struct sockaddr_in target = config->target;
  target.sin_port = htons((uint16_t)(ntohs(config->target.sin_port) + index % (uint64_t)config->ports));
  return target;
}

size_t client_preamble(const struct loadgen_config *config, uint64_t index, uint8_t out[PROXY_V2_TCP4_LEN]) {
  struct sockaddr_in client, target = target_of(config, index);
  if (!config->proxy_v2) return 0;
  client = spoofed_client(config->first_client + index);
  return proxy_v2_header(out, &client, &target);
}

void send_all_or_die(int fd, const void *buf, size_t len) {
  ssize_t sent = send(fd, buf, len, MSG_NOSIGNAL);
  if (sent < 0) die_errno("send");
  if ((size_t)sent != len) die("short send on a connection that should have had room");
}

void hold_until_term(double hold_seconds) {
  sigset_t stop;
  struct timespec timeout = {.tv_sec = (time_t)hold_seconds};
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, NULL);
  sigtimedwait(&stop, NULL, &timeout);
}

static struct loadgen_config parse_args(int argc, char **argv) {
  static const struct option options[] = {
      {"target", required_argument, NULL, 't'},
      {"conns", required_argument, NULL, 'c'},
      {"seconds", required_argument, NULL, 's'},
      {"size", required_argument, NULL, 'b'},
      {"proxy-v2", no_argument, NULL, 'p'},
      {"hold", required_argument, NULL, 'h'},
      {"count", required_argument, NULL, 'n'},
      {"echo-at-end", no_argument, NULL, 'e'},
      {"first-client", required_argument, NULL, 'f'},
      {"ports", required_argument, NULL, 'P'},
      {NULL, 0, NULL, 0},
  };
  struct loadgen_config config = {
      .conns = 50, .seconds = 5, .message_size = 64, .hold_seconds = 60, .ports = 1};
  int have_target = 0;
  int opt;

  optind = 2;
  while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
    switch (opt) {
      case 't':
        config.target = parse_endpoint(optarg);
        have_target = 1;
        break;
      case 'c':
        config.conns = atoi(optarg);
        break;
      case 's':
        config.seconds = atof(optarg);
        break;
      case 'b':
        config.message_size = (size_t)atol(optarg);
        break;
      case 'p':
        config.proxy_v2 = 1;
        break;
      case 'h':
        config.hold_seconds = atof(optarg);
        break;
      case 'n':
        config.count = strtoull(optarg, NULL, 10);
        break;
      case 'e':
        config.echo_at_end = 1;
        break;
      case 'f':
        config.first_client = strtoull(optarg, NULL, 10);
        break;
      case 'P':
        config.ports = atoi(optarg);
        break;
      default:
        usage();
    }
  }
  if (!have_target || config.conns < 1 || config.seconds <= 0 || config.message_size < 1 ||
      config.message_size > MAX_MESSAGE || config.hold_seconds <= 0 || config.ports < 1 ||
      ntohs(config.target.sin_port) + config.ports - 1 > 65535)
    usage();
  return config;
}

int main(int argc, char **argv) {
  struct loadgen_config config;
  if (argc < 2) usage();
  config = parse_args(argc, argv);
  /* A peer closing mid-send must be an error we count, not a kill. */
  signal(SIGPIPE, SIG_IGN);
  if (strcmp(argv[1], "pingpong") == 0) return run_pingpong(&config);
  if (strcmp(argv[1], "bulk") == 0) return run_bulk(&config);
  if (strcmp(argv[1], "connrate") == 0) return run_connrate(&config);
  if (strcmp(argv[1], "idle") == 0) return run_idle(&config);
  if (strcmp(argv[1], "stall") == 0) return run_stall(&config);
  usage();
  return 2;
}
