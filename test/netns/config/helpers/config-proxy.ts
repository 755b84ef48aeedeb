/**
 * mmproxy run from a config file in the proxy topology's app host: start it, send it SIGHUP and wait for what it
 * logs, and one exchange on every listener checked for the client's own address.
 */
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

import { exchangeFlows, type Host, type HostProcess, scaled } from '../../../../lab/index.js';
import { MMPROXY_BIN } from '../../../../lab/mmproxy/mmproxy-process.js';
import { APP, CLIENT_V4, CLIENT_V6, LB_BACK, LB_FRONT_V4, LB_FRONT_V6 } from '../../../../lab/mmproxy/topology.js';
import { parsePeerReply, proxied, sendDatagrams } from '../../dataplane/harness/udp.js';
import { CHANGED_SERVICE_PORT, type ListenerSpec, portsOf } from './many-listeners.js';

const POLL_MS = 50;
const LOG_WAIT_MS = 10_000;
/** Four of stream-flows' 4 KiB chunks a flow. */
const TCP_BYTES = 16 * 1024;

/** Replaces the file in one step, as an editor or a config manager would, so a reload never reads half of it. */
export async function writeConfig(path: string, text: string): Promise<void> {
  await writeFile(`${path}.new`, text);
  await rename(`${path}.new`, path);
}

/** mmproxy's JSON log lines so far (other lines, if any, are left out). */
export function logLines(proxy: HostProcess): Record<string, unknown>[] {
  return proxy.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const ofKind = (proxy: HostProcess, kind: string) => logLines(proxy).filter((line) => line.kind === kind);

/** `tcp:8501`, `udp:8901`, … for every TCP port listening and UDP port bound in the host: one `ss` for all. */
async function boundPorts(host: Host): Promise<Set<string>> {
  const { stdout } = await host.run(['ss', '-tulnH']);
  return new Set(
    stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((columns) => columns.length >= 5)
      .map(([netid, , , , local]) => `${netid}:${local?.slice(local.lastIndexOf(':') + 1)}`),
  );
}

/** Polls `ss` until every port of every listener is bound (`bound`), or none is (`unbound`). */
async function waitForPorts(host: Host, listeners: ListenerSpec[], want: 'bound' | 'unbound'): Promise<void> {
  const keys = listeners.flatMap((listener) => portsOf(listener).map((port) => `${listener.protocol}:${port}`));
  const deadline = Date.now() + scaled(LOG_WAIT_MS);
  for (;;) {
    const bound = await boundPorts(host);
    const wrong = keys.filter((key) => bound.has(key) !== (want === 'bound'));
    if (wrong.length === 0) return;
    if (Date.now() >= deadline)
      throw new Error(`${host.name}: ${want === 'bound' ? 'not bound' : 'still bound'}: ${wrong.join(', ')}`);
    await delay(POLL_MS);
  }
}

export const waitUntilBound = (host: Host, listeners: ListenerSpec[]) => waitForPorts(host, listeners, 'bound');
export const waitUntilUnbound = (host: Host, listeners: ListenerSpec[]) => waitForPorts(host, listeners, 'unbound');

/** Polls `ss` until the process holds no UDP session (each closes close-after seconds after its last datagram). */
export async function waitUntilNoUdpSessions(host: Host, pid: number, waitMs = LOG_WAIT_MS): Promise<void> {
  const deadline = Date.now() + scaled(waitMs);
  for (;;) {
    const { stdout } = await host.run(['ss', '-uanpH', 'state', 'established']);
    const sessions = stdout.split('\n').filter((line) => line.includes(`pid=${pid},`));
    if (sessions.length === 0) return;
    if (Date.now() >= deadline) throw new Error(`UDP sessions still open:\n${sessions.join('\n')}`);
    await delay(POLL_MS);
  }
}

/** `mmproxy --config FILE` in host, resolved once every listener's ports are bound. */
export async function startFromConfig(host: Host, file: string, listeners: ListenerSpec[]): Promise<HostProcess> {
  const proxy = host.spawn([process.execPath, MMPROXY_BIN, '--config', file]);
  await Promise.race([
    waitUntilBound(host, listeners),
    proxy.exited.then((status) => {
      throw new Error(`mmproxy --config exited (${JSON.stringify(status)}) before listening:\n${proxy.stderr}`);
    }),
  ]);
  return proxy;
}

/**
 * Sends SIGHUP and resolves with the next log line of `kind` (`reload` or `reload_failed`); rejects when the other
 * one comes, or neither within the bound.
 */
export async function reload(proxy: HostProcess, kind: 'reload' | 'reload_failed'): Promise<Record<string, unknown>> {
  const other = kind === 'reload' ? 'reload_failed' : 'reload';
  const seen = { [kind]: ofKind(proxy, kind).length, [other]: ofKind(proxy, other).length };
  proxy.kill('SIGHUP');
  const deadline = Date.now() + scaled(LOG_WAIT_MS);
  for (;;) {
    const lines = ofKind(proxy, kind);
    if (lines.length > (seen[kind] ?? 0)) return lines[lines.length - 1]!;
    const others = ofKind(proxy, other);
    if (others.length > (seen[other] ?? 0))
      throw new Error(`SIGHUP: expected ${kind}, got ${JSON.stringify(others[others.length - 1])}`);
    if (!proxy.running || Date.now() >= deadline)
      throw new Error(`SIGHUP: no ${kind} line (${proxy.running ? 'still running' : 'exited'}):\n${proxy.stderr}`);
    await delay(POLL_MS);
  }
}

/**
 * Client ports, each used once in the suite: mmproxy connects to the service from the client's own address and
 * port, and a flow that ended keeps that pair in TIME_WAIT towards the service port every listener shares, so a
 * port the client's kernel picked again would meet it (mmproxy refuses such a flow, --collision refuse). Below the
 * kernel's ephemeral range, which nothing else in the client host uses.
 */
let nextClientPort = 10_000;

export function clientPorts(count: number): number {
  const first = nextClientPort;
  nextClientPort += count;
  return first;
}

export interface Services {
  /** The TCP and UDP peer services on the changed listeners' port, whose logs name each peer they saw. */
  changedTcp4: HostProcess;
  changedTcp6: HostProcess;
  changedUdp: HostProcess;
}

/**
 * One exchange on every port of every listener, at once: TCP from the client host through HAProxy (IPv6 on every
 * third port, the rest IPv4; one process for all), UDP from the lb host with a PROXY v2 header per datagram. Each
 * asserts that the service saw the client's own address and port, and that a listener pointed at the changed
 * service port reached that one.
 */
export async function assertEveryListenerSeesClient(
  hosts: { client: Host; lb: Host },
  listeners: ListenerSpec[],
  services: Services,
): Promise<void> {
  const jobs = listeners.flatMap((listener) => portsOf(listener).map((port) => ({ listener, port })));
  const tcp = jobs.filter(({ listener }) => listener.protocol === 'tcp');
  const udp = jobs.filter(({ listener }) => listener.protocol === 'udp');
  await Promise.all([
    assertTcpClientsSeen(hosts.client, tcp, services),
    ...udp.map(({ listener, port }) => assertUdpClientSeen(hosts.lb, listener, port, services)),
  ]);
}

const familyOf = (port: number): 4 | 6 => (port % 3 === 0 ? 6 : 4);

async function assertTcpClientsSeen(
  client: Host,
  jobs: { listener: ListenerSpec; port: number }[],
  services: Services,
): Promise<void> {
  const connect = jobs.map(({ port }) =>
    familyOf(port) === 4 ? `${LB_FRONT_V4}:${port}` : `[${LB_FRONT_V6}]:${port}`,
  );
  const result = await exchangeFlows(client, {
    connect,
    flows: jobs.length,
    maxBytes: TCP_BYTES,
    everyMs: 5,
    firstLocalPort: clientPorts(jobs.length),
  });
  assert.equal(result.ok, true, JSON.stringify(result));
  for (const [i, { listener, port }] of jobs.entries()) {
    const flow = result.flows[i]!;
    const family = familyOf(port);
    const where = `${listener.name} port ${port} over IPv${family}`;
    const address = family === 4 ? CLIENT_V4 : CLIENT_V6;
    assert.deepEqual(flow.peer, { address, port: flow.localPort }, where);
    assert.equal(flow.sentBytes, TCP_BYTES, where);
    assert.equal(flow.echoedSha256, flow.sentSha256, where);
    if (listener.servicePort === CHANGED_SERVICE_PORT) {
      const service = family === 4 ? services.changedTcp4 : services.changedTcp6;
      await service.waitForOutput(new RegExp(`^CONNECTED ${address} ${flow.localPort}$`, 'm'), LOG_WAIT_MS, 'stdout');
    }
  }
}

/**
 * A client port of its own for every UDP exchange: the service's log line names this one, and no session of an
 * earlier exchange (still open until close-after) holds the same client address and port towards the service.
 */
let nextUdpClientPort = 40_000;

async function assertUdpClientSeen(lb: Host, listener: ListenerSpec, port: number, services: Services) {
  const client = { address: CLIENT_V4, port: nextUdpClientPort++ };
  const text = `hello ${listener.name}`;
  const result = await sendDatagrams(lb, {
    from: LB_BACK,
    to: `${APP}:${port}`,
    datagrams: [proxied(client, text)],
    expect: 1,
  });
  const reply = parsePeerReply(result.replies[0]?.text ?? '');
  assert.deepEqual(reply, { ...client, payload: text }, `${listener.name} port ${port}: ${JSON.stringify(result)}`);
  if (listener.servicePort === CHANGED_SERVICE_PORT)
    await services.changedUdp.waitForOutput(
      new RegExp(`^DATAGRAM ${client.address} ${client.port} `, 'm'),
      LOG_WAIT_MS,
      'stdout',
    );
}
