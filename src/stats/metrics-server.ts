/**
 * `--metrics-listen ADDR`: the HTTP server in front of ./metrics.ts, hardened
 * like the data plane, for whoever can reach the port:
 *
 * - nothing a request holds can throw out of the handler (a bad path is a
 *   404, a failure inside is a 500, the server keeps serving);
 * - at most MAX_CONNECTIONS at once (the rest are closed at accept), headers
 *   and requests within a few seconds, idle keep-alive connections closed
 *   soon, headers of at most MAX_HEADER_BYTES and no request bodies;
 * - only GET and HEAD, only on /metrics, /healthz (the data plane answers) and
 *   /readyz (every listener bound, not draining): 200 or 503 with one line;
 * - `:PORT` alone binds loopback: exposing the endpoint is a decision,
 *   written as `0.0.0.0:PORT` or `[::]:PORT`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { parseListenAddress } from '../base/net/endpoint.js';
import { CONTENT_TYPE } from './prometheus.js';
import { renderMetrics } from './metrics.js';
import type { ProxyHealth, StatsSource } from './source.js';

/** The host `:PORT` binds: scrapers on this machine only. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';
/** A scraper or two, plus room for a curl: more at once is not a scraper. */
export const MAX_CONNECTIONS = 64;
/** Time for a client to send its whole request head; a real scraper takes milliseconds. */
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 5_000;
/** An idle keep-alive connection between scrapes (Prometheus scrapes every 15 s or more and reconnects). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A socket with nothing moving either way, e.g. a client that does not read its answer. */
const SOCKET_IDLE_MS = 10_000;
/** How often the timeouts above are enforced (Node's default is 30 s). */
const TIMEOUT_CHECK_MS = 1_000;
/** The request line and headers of a scrape fit in a fraction of this. */
const MAX_HEADER_BYTES = 8 * 1024;
const METRICS_PATH = '/metrics';
const HEALTH_PATH = '/healthz';
const READY_PATH = '/readyz';

/** What /healthz and /readyz answer: the source's own view, else whether its counters can be read. */
function healthOf(source: StatsSource): ProxyHealth {
  if (source.health) return source.health();
  try {
    source.counters();
    return { live: true, ready: true, detail: 'the data plane answers' };
  } catch (error) {
    return { live: false, ready: false, detail: `the data plane does not answer: ${String(error)}` };
  }
}

export interface MetricsServer {
  /** The bound address, useful with port 0. */
  address: AddressInfo;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  listen: string;
  source: StatsSource;
  /** Errors of the listening socket after it is bound (accept failing with EMFILE, …): reported, never thrown. */
  warn?: (message: string) => void;
}

function reply(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(`${text}\n`);
}

/** The path of a request target, without a query; never throws, whatever the target. */
function requestPath(request: IncomingMessage): string {
  const target = request.url ?? '';
  const query = target.indexOf('?');
  return query < 0 ? target : target.slice(0, query);
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

function answer(request: IncomingMessage, response: ServerResponse, source: StatsSource): void {
  if (hasBody(request)) {
    // Not read: the connection closes after the answer, so the body goes with it.
    response.shouldKeepAlive = false;
    reply(response, 413, 'requests to the metrics endpoint carry no body');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    reply(response, 405, 'use GET', { allow: 'GET, HEAD' });
    return;
  }
  const path = requestPath(request);
  if (path === HEALTH_PATH || path === READY_PATH) {
    const health = healthOf(source);
    const good = path === HEALTH_PATH ? health.live : health.ready;
    reply(response, good ? 200 : 503, `${good ? 'ok' : 'not ok'}: ${health.detail}`);
    return;
  }
  if (path !== METRICS_PATH) {
    reply(response, 404, `mmproxy serves Prometheus metrics at ${METRICS_PATH}, ${HEALTH_PATH} and ${READY_PATH}`);
    return;
  }
  let body: string;
  try {
    body = renderMetrics(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply(response, 503, `the proxy's counters are unavailable: ${message}`);
    return;
  }
  response.writeHead(200, { 'content-type': CONTENT_TYPE });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Whatever goes wrong answering one request ends that request only. */
function handle(request: IncomingMessage, response: ServerResponse, source: StatsSource): void {
  try {
    answer(request, response, source);
  } catch {
    if (!response.headersSent) reply(response, 500, 'internal error');
    else response.destroy();
  }
}

/** The status line for a request Node's parser refused, or that came too slowly. */
function clientErrorStatus(error: NodeJS.ErrnoException): string {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout';
  if (error.code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  return '400 Bad Request';
}

export function metricsHost(listen: string): { host: string; port: number } {
  const { host, port } = parseListenAddress(listen);
  return { host: host ?? DEFAULT_METRICS_HOST, port };
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = metricsHost(options.listen);
  const server: Server = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    (request, response) => handle(request, response, options.source),
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.setTimeout(SOCKET_IDLE_MS, (socket) => socket.destroy());
  // Malformed requests, oversized heads, timeouts, resets: a status where the socket still takes one, then it goes.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable) socket.end(`HTTP/1.1 ${clientErrorStatus(error)}\r\nconnection: close\r\n\r\n`);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.warn?.(`metrics endpoint: ${error.message}`));
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
