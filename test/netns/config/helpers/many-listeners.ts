/**
 * The showcase's listeners: 55 services of one mmproxy config file (44 TCP ports, one TCP port range of 5, 10 UDP
 * ports), and the reload that removes 10 of them, changes 10 (to a second service port) and adds 10. Rendered as
 * the TOML file mmproxy reads (docs/config.md) and as the HAProxy frontends in front of the TCP ones.
 */
import type { TcpProxy } from '../../../../lab/index.js';
import { APP, LB_BACK, LB_FRONT_V4, LB_FRONT_V6 } from '../../../../lab/mmproxy/topology.js';

/** The service every listener forwards to at first, and the one a changed listener forwards to after the reload. */
export const FIRST_SERVICE_PORT = 7000;
export const CHANGED_SERVICE_PORT = 7001;

const TCP_FIRST_PORT = 8500;
const UDP_FIRST_PORT = 8900;
const RANGE = { first: 8600, last: 8604 };
const TCP_COUNT = 44;
const UDP_COUNT = 10;
export const UDP_CLOSE_AFTER_SECONDS = 1;

export interface ListenerSpec {
  name: string;
  protocol: 'tcp' | 'udp';
  port: number;
  /** The last port of a range; equal to port for one port. */
  lastPort: number;
  servicePort: number;
  /** The PROXY version HAProxy sends (TCP): v1 on every fourth, to show both. */
  sendProxy: 'v1' | 'v2';
}

function tcp(index: number, servicePort = FIRST_SERVICE_PORT): ListenerSpec {
  const port = TCP_FIRST_PORT + index;
  const name = `tcp-${String(index).padStart(2, '0')}`;
  return { name, protocol: 'tcp', port, lastPort: port, servicePort, sendProxy: index % 4 === 0 ? 'v1' : 'v2' };
}

function udp(index: number, servicePort = FIRST_SERVICE_PORT): ListenerSpec {
  const port = UDP_FIRST_PORT + index;
  const name = `udp-${String(index).padStart(2, '0')}`;
  return { name, protocol: 'udp', port, lastPort: port, servicePort, sendProxy: 'v2' };
}

const range = (indexes: [number, number]): number[] =>
  Array.from({ length: indexes[1] - indexes[0] + 1 }, (_, i) => indexes[0] + i);

/** 55 listeners: tcp-01..tcp-44, `range` (5 ports), udp-01..udp-10. */
export function initialListeners(): ListenerSpec[] {
  return [
    ...range([1, TCP_COUNT]).map((i) => tcp(i)),
    {
      name: 'range',
      protocol: 'tcp',
      port: RANGE.first,
      lastPort: RANGE.last,
      servicePort: FIRST_SERVICE_PORT,
      sendProxy: 'v2',
    },
    ...range([1, UDP_COUNT]).map((i) => udp(i)),
  ];
}

export interface Reload {
  listeners: ListenerSpec[];
  removed: ListenerSpec[];
  changed: ListenerSpec[];
  added: ListenerSpec[];
  unchanged: ListenerSpec[];
}

/**
 * Removes tcp-01..08 and udp-01..02, changes tcp-09..16 and udp-03..04 to the second service port, adds
 * tcp-45..52 and udp-11..12; the other 35 stay as they were.
 */
export function reloaded(before: ListenerSpec[]): Reload {
  const removedNames = new Set([...range([1, 8]).map((i) => tcp(i).name), udp(1).name, udp(2).name]);
  const changed = [
    ...range([9, 16]).map((i) => tcp(i, CHANGED_SERVICE_PORT)),
    udp(3, CHANGED_SERVICE_PORT),
    udp(4, CHANGED_SERVICE_PORT),
  ];
  const changedNames = new Set(changed.map((listener) => listener.name));
  const added = [...range([45, 52]).map((i) => tcp(i)), udp(11), udp(12)];
  const removed = before.filter((listener) => removedNames.has(listener.name));
  const unchanged = before.filter((listener) => !removedNames.has(listener.name) && !changedNames.has(listener.name));
  return { listeners: [...unchanged, ...changed, ...added], removed, changed, added, unchanged };
}

/** Every port of a listener: one, or each of its range. */
export function portsOf(listener: ListenerSpec): number[] {
  return range([listener.port, listener.lastPort]);
}

export interface FileOptions {
  statsSocket: string;
  workers: number;
}

/** The config file: process settings, defaults every listener shares, one [[listener]] table each. */
export function configFile(listeners: ListenerSpec[], { statsSocket, workers }: FileOptions): string {
  const top = [
    `workers = ${workers}`,
    'log-format = "json"',
    'verbose = 1',
    'drain-timeout = "10s"',
    `stats-socket = "${statsSocket}"`,
    '',
    '[defaults]',
    '# Only the load balancer may send PROXY headers.',
    `allowed-subnets = ["${LB_BACK}/32"]`,
    'header-timeout = "5s"',
  ];
  const tables = listeners.flatMap((listener) => {
    const listen = listener.lastPort === listener.port ? `${listener.port}` : `${listener.port}-${listener.lastPort}`;
    return [
      '',
      '[[listener]]',
      `name = "${listener.name}"`,
      `protocol = "${listener.protocol}"`,
      `listen = "${APP}:${listen}"`,
      `target4 = "127.0.0.1:${listener.servicePort}"`,
      // UDP replies in this lab only go back to IPv4 senders; the TCP services listen on both families.
      `target6 = "${listener.protocol === 'udp' ? 'none' : `[::1]:${listener.servicePort}`}"`,
      // Sessions end a second after their exchange, so an idle process holds no session sockets.
      ...(listener.protocol === 'udp' ? [`close-after = ${UDP_CLOSE_AFTER_SECONDS}`] : []),
    ];
  });
  return `${[...top, ...tables].join('\n')}\n`;
}

/**
 * HAProxy's side: one frontend per TCP port (each port of the range its own), on the lb host's client-facing
 * addresses, the same port number as mmproxy's, sending PROXY to it.
 */
export function haproxyProxies(listeners: ListenerSpec[]): TcpProxy[] {
  return listeners
    .filter((listener) => listener.protocol === 'tcp')
    .flatMap((listener) =>
      portsOf(listener).map((port) => ({
        name: `p${port}`,
        bind: [
          { address: LB_FRONT_V4, port },
          { address: LB_FRONT_V6, port },
        ],
        servers: [{ address: APP, port, sendProxy: listener.sendProxy }],
      })),
    );
}
