/**
 * The demo's walk-through, step by step, on the same topology as the proxy's
 * namespace tests (lab/mmproxy/topology.ts). Each step prints what it
 * does and what it saw; the conclusions are returned so a test can check them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { exchange, type Haproxy, type HostProcess } from '../../lab/index.js';
import { MMPROXY_BIN } from '../../lab/mmproxy/mmproxy-process.js';
import {
  APP,
  CLIENT_V4,
  CLIENT_V6,
  LB_FRONT_V4,
  LB_FRONT_V6,
  ProxyTopology,
  TARGETS,
} from '../../lab/mmproxy/topology.js';
import { holdUntilInterrupted, runTopInteractive } from './interactive.js';
import { startLiveFlows } from './live-flows.js';
import { Narrator } from './narrator.js';

export interface DemoSummary {
  ok: boolean;
  /** The service saw each client's own address and port, IPv4 and IPv6. */
  realAddressesSeen: boolean;
  /** With the loopback routing gone, HAProxy logged the field signature: SD with 0 bytes. */
  haproxyLoggedSD: boolean;
  /** mmproxy's own log named the cause of the failed connect. */
  proxyNamedCause: boolean;
  /** The doctor failed the routing check, printed the rule that fixes it, and read the SD in HAProxy's log. */
  doctorFoundCause: boolean;
  /** After `mmproxy doctor --fix --yes`, traffic flows again. */
  fixRestoredTraffic: boolean;
  haproxySDLine?: string;
}

export interface DemoOptions {
  interactive: boolean;
  keep: boolean;
}

// mmproxy gives up an upstream connect after this long (its default is 5 s); short, so the demo moves on.
const DEMO_CONNECT_TIMEOUT = '3s';
const CLIENT_BYTES = 64 * 1024;
const LOG_WAIT_MS = 10_000;
const LOG_POLL_MS = 100;
// How long the streaming clients may live: enough for one frame, or for a person looking at top.
const ONCE_FLOW_MS = 30_000;
const INTERACTIVE_FLOW_MS = 180_000;

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const say = new Narrator();
  const workDir = mkdtempSync(join(tmpdir(), 'mmproxy-demo-'));
  const summary: DemoSummary = {
    ok: false,
    realAddressesSeen: false,
    haproxyLoggedSD: false,
    proxyNamedCause: false,
    doctorFoundCause: false,
    fixRestoredTraffic: false,
  };
  const topology = new ProxyTopology('demo');
  try {
    say.step('Building the lab: a client, a load balancer and an app host, each in its own network namespace');
    await topology.build();
    const { client, lb, app } = topology;
    for (const host of [client, lb, app]) say.info(`${host.name.padEnd(6)} namespace ${host.ns}`);
    say.info(`client ${CLIENT_V4} and ${CLIENT_V6}; the app host runs a service on 127.0.0.1:7000 and [::1]:7000`);
    say.info('that prints the address it sees, and has the loopback policy routing in place:');
    say.command(
      'ip rule add from 127.0.0.1/8 iif lo table 123; ip route add local 0.0.0.0/0 dev lo table 123 (and -6)',
    );

    say.step('Starting HAProxy (send-proxy-v2) on the load balancer and mmproxy on the app host');
    const ports = topology.ports();
    const haproxy = await topology.haproxy(ports.lb, [{ address: APP, port: ports.mmproxy, sendProxy: 'v2' }]);
    say.ok(`HAProxy listens on ${LB_FRONT_V4}:${ports.lb} and [${LB_FRONT_V6}]:${ports.lb}`);
    const statsSocket = join(workDir, 'mmproxy.sock');
    const listen = ['-l', `${APP}:${ports.mmproxy}`, ...TARGETS];
    const flags = ['--connect-timeout', DEMO_CONNECT_TIMEOUT, '--stats-socket', statsSocket, '-v', '1'];
    say.command(`mmproxy ${[...listen, ...flags].join(' ')}`);
    const proxy = await topology.mmproxy(ports.mmproxy, flags);
    say.ok(`mmproxy listens on ${APP}:${ports.mmproxy}`);

    const via4 = `${LB_FRONT_V4}:${ports.lb}`;
    const via6 = `[${LB_FRONT_V6}]:${ports.lb}`;
    say.step('The client connects through HAProxy, over IPv4 and IPv6; the service reports who it sees');
    summary.realAddressesSeen =
      (await connectAndReport(say, topology, via4, CLIENT_V4)) &&
      (await connectAndReport(say, topology, via6, CLIENT_V6));

    const liveFlows = await startLiveFlows(
      topology,
      [via4, via6],
      workDir,
      options.interactive ? INTERACTIVE_FLOW_MS : ONCE_FLOW_MS,
    );
    if (options.interactive) {
      say.step('mmproxy top on the live proxy, with two clients streaming (q to go on)');
      await runTopInteractive(topology.app, statsSocket);
    } else {
      say.step('mmproxy top --once, with two clients streaming (npm run demo -- --interactive opens the live screen)');
      const top = await app.exec([process.execPath, MMPROXY_BIN, 'top', '--once', '--socket', statsSocket]);
      say.quote(top.stdout || top.stderr);
    }
    await liveFlows.release();

    say.step('Breaking it the way it breaks in the field: the loopback routing goes missing');
    say.command(
      'ip rule del from 127.0.0.1/8 iif lo table 123; ip route del local 0.0.0.0/0 dev lo table 123 (and -6)',
    );
    await app.removeLoopbackRouting();
    const linesBeforeBreak = haproxy.logLines().length;
    // Like an SSH client, this one speaks at once: its bytes are still unread in mmproxy when the connect
    // fails, so closing the load balancer's connection resets it, and HAProxy blames the server side (SD).
    const failed = await exchange(client, { connect: via4, sendBytes: 64, timeoutMs: 8_000 });
    if (failed.receivedBytes === 0)
      say.problem(`the client got nothing back: ${failed.error ?? 'the connection was closed'}`);
    const sdLine = await waitForNewLine(haproxy, linesBeforeBreak, / SD /);
    summary.haproxyLoggedSD = sdLine !== undefined && / 0 SD /.test(sdLine);
    if (sdLine) {
      summary.haproxySDLine = sdLine;
      say.info('HAProxy logged:');
      say.quote(sdLine);
    }
    summary.proxyNamedCause = await proxyLogged(proxy, /connect_timeout.*mmproxy doctor/);
    say.info('mmproxy logged:');
    say.quote(
      proxy.stderr
        .split('\n')
        .filter((line) => line.includes('connect_timeout'))
        .slice(-1)
        .join('\n'),
    );

    say.step("Asking the doctor on the app host, with HAProxy's log");
    const logFile = join(workDir, 'haproxy.log');
    writeFileSync(logFile, `${haproxy.logLines().join('\n')}\n`);
    const doctorArgs = ['doctor', ...listen, '--haproxy-log', logFile];
    say.command(`mmproxy ${doctorArgs.join(' ')}`);
    const doctor = await app.exec([process.execPath, MMPROXY_BIN, ...doctorArgs, '--no-color'], { timeoutMs: 20_000 });
    say.quote(doctor.stdout + doctor.stderr);
    summary.doctorFoundCause =
      doctor.code === 1 &&
      /ip rule add from 127\.0\.0\.1 iif lo ipproto tcp sport \d+ lookup \d+/.test(doctor.stdout) &&
      /aborted by the server side/.test(doctor.stdout);

    say.step('Letting the doctor fix it: mmproxy doctor --fix --yes');
    const fix = await app.exec([process.execPath, MMPROXY_BIN, 'doctor', ...listen, '--fix', '--yes', '--no-color'], {
      timeoutMs: 20_000,
    });
    say.quote(fix.stdout + fix.stderr);
    const linesBeforeFix = haproxy.logLines().length;
    summary.fixRestoredTraffic = fix.code === 0 && (await connectAndReport(say, topology, via4, CLIENT_V4));
    const normalEnd = await waitForNewLine(haproxy, linesBeforeFix, / -- /);
    if (normalEnd) {
      say.info('HAProxy logs a normal end again:');
      say.quote(normalEnd);
    }

    summary.ok =
      summary.realAddressesSeen &&
      summary.haproxyLoggedSD &&
      summary.proxyNamedCause &&
      summary.doctorFoundCause &&
      summary.fixRestoredTraffic;
    say.step(
      summary.ok
        ? 'Done: every step showed what it should'
        : 'Done, but a step did not show what it should (see ✘ above)',
    );
    if (options.keep) await keepLab(say, topology, via4);
    return summary;
  } finally {
    say.info('removing the lab');
    await topology.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function connectAndReport(
  say: Narrator,
  topology: ProxyTopology,
  via: string,
  expected: string,
): Promise<boolean> {
  const result = await exchange(topology.client, { connect: via, sendBytes: CLIENT_BYTES, expectPeer: true });
  if (!result.ok || !result.peer) {
    say.problem(`client → ${via}: ${result.error ?? 'no PEER line'}`);
    return false;
  }
  const line = `client connected from ${expected} port ${result.localPort}; the service saw ${result.peer.address} port ${result.peer.port}`;
  const seenRight =
    result.peer.address === expected &&
    result.peer.port === result.localPort &&
    result.sentSha256 === result.receivedSha256;
  if (seenRight) say.ok(`${line}: the client's own address and port`);
  else say.problem(line);
  return seenRight;
}

/** The first HAProxy log line after the first `after` lines that matches, within LOG_WAIT_MS. */
async function waitForNewLine(haproxy: Haproxy, after: number, pattern: RegExp): Promise<string | undefined> {
  const deadline = Date.now() + LOG_WAIT_MS;
  while (Date.now() < deadline) {
    const found = haproxy
      .logLines()
      .slice(after)
      .find((line) => pattern.test(line));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, LOG_POLL_MS));
  }
  return undefined;
}

async function proxyLogged(proxy: HostProcess, pattern: RegExp): Promise<boolean> {
  try {
    await proxy.waitForOutput(pattern, 5_000, 'stderr');
    return true;
  } catch {
    return false;
  }
}

async function keepLab(say: Narrator, topology: ProxyTopology, via4: string): Promise<void> {
  say.step('The lab stays up for exploring until you press Ctrl-C; from another terminal:');
  for (const host of [topology.client, topology.lb, topology.app])
    say.command(`ip netns exec ${host.ns} bash    # ${host.name}`);
  say.command(`ip netns exec ${topology.client.ns} nc ${via4.replace(':', ' ')}    # through HAProxy and mmproxy`);
  await holdUntilInterrupted();
}
