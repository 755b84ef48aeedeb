/**
 * Builds the HAProxy configurations the proxy tests need: one TCP frontend → one backend of PROXY-speaking servers
 * (tcpProxyConfig), or many such pairs in one HAProxy, one per service (tcpProxiesConfig).
 */

export interface Endpoint {
  address: string;
  port: number;
}

export interface HaproxyServer extends Endpoint {
  /** PROXY protocol version HAProxy sends to this server (`send-proxy` / `send-proxy-v2`); none when absent. */
  sendProxy?: 'v1' | 'v2';
  /** Health-check the server; with sendProxy, the check also starts with a PROXY header (`check-send-proxy`). */
  check?: boolean;
}

export interface TcpProxyOptions {
  bind: Endpoint | Endpoint[];
  servers: HaproxyServer[];
  timeoutConnectMs?: number;
  timeoutClientMs?: number;
  timeoutServerMs?: number;
  checkIntervalMs?: number;
}

// Short enough that a test sees a server marked up or down within a few seconds, long enough not to flood the log.
const DEFAULT_CHECK_INTERVAL_MS = 500;

export function tcpProxyConfig(options: TcpProxyOptions): string {
  const binds = Array.isArray(options.bind) ? options.bind : [options.bind];
  return tcpProxiesConfig([{ bind: binds, servers: options.servers }], options);
}

/** One service of a many-service HAProxy: its frontend `fe_<name>` and backend `be_<name>`. */
export interface TcpProxy {
  /** Letters, digits, `-` and `_`; without one, the sections are `fe` and `be` (tcpProxyConfig's). */
  name?: string;
  bind: Endpoint[];
  servers: HaproxyServer[];
}

export type TcpProxyTimeouts = Omit<TcpProxyOptions, 'bind' | 'servers'>;

export function tcpProxiesConfig(proxies: TcpProxy[], options: TcpProxyTimeouts = {}): string {
  return [
    'global',
    // Logs go to haproxy's stdout, which the kit collects: no syslog daemon needed in the namespace.
    '    log stdout format raw local0',
    'defaults',
    '    mode tcp',
    '    log global',
    '    option tcplog',
    `    timeout connect ${options.timeoutConnectMs ?? 5_000}ms`,
    `    timeout client ${options.timeoutClientMs ?? 30_000}ms`,
    `    timeout server ${options.timeoutServerMs ?? 30_000}ms`,
    ...proxies.flatMap((proxy) => {
      const suffix = proxy.name === undefined ? '' : `_${proxy.name}`;
      return [
        `frontend fe${suffix}`,
        ...proxy.bind.map((bind) => `    bind ${hostPort(bind)}`),
        `    default_backend be${suffix}`,
        `backend be${suffix}`,
        ...proxy.servers.map(
          (server, index) => `    server s${index} ${serverOptions(server, options.checkIntervalMs)}`,
        ),
      ];
    }),
    '',
  ].join('\n');
}

function serverOptions(server: HaproxyServer, checkIntervalMs = DEFAULT_CHECK_INTERVAL_MS): string {
  const words = [hostPort(server)];
  if (server.sendProxy) words.push(server.sendProxy === 'v1' ? 'send-proxy' : 'send-proxy-v2');
  if (server.check) {
    words.push('check', `inter ${checkIntervalMs}ms`);
    if (server.sendProxy) words.push('check-send-proxy');
  }
  return words.join(' ');
}

function hostPort({ address, port }: Endpoint): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
