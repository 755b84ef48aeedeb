/**
 * Headers written by a real HAProxy (Debian's package) parse as expected:
 * v1 `send-proxy`, v2 `send-proxy-v2` with CRC32C and UNIQUE_ID, over IPv4
 * and IPv6, and v2 with the SSL TLV behind a TLS frontend. Loopback only.
 *
 *   client ──► HAProxy 127.0.0.1 / [::1] ──PROXY header + "hello"──► backend (this test, parses)
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';

import { parseProxyHeader } from '../../../src/native/proxy-header.js';
import type { ProxyParseResult } from '../../../src/proxy-protocol/types.js';

import { requirePrerequisite } from '../../support/prerequisite.js';

interface Received {
  result: ProxyParseResult;
  /** What followed the header (empty when the header was rejected). */
  application: Buffer;
}

const PAYLOAD = 'hello';
const READY_ATTEMPTS = 100;
const READY_PAUSE_MS = 50;

/** Accepts connections and reports each one's parsed header and the bytes after it. */
class Backend {
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly waiting: ((received: Received) => void)[] = [];
  private readonly arrived: Received[] = [];

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  next(): Promise<Received> {
    const ready = this.arrived.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.server.close();
  }

  private accept(socket: net.Socket): void {
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const result = parseProxyHeader(data);
      if (result.status === 'need_more') return;
      if (result.status === 'complete' && data.length < result.length + PAYLOAD.length) return;
      socket.end();
      const received = {
        result,
        application: result.status === 'complete' ? data.subarray(result.length) : Buffer.alloc(0),
      };
      const waiter = this.waiting.shift();
      if (waiter) waiter(received);
      else this.arrived.push(received);
    });
    socket.on('error', () => socket.destroy());
  }
}

async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(host: string, port: number, haproxy: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
    if (haproxy.exitCode !== null) throw new Error(`haproxy exited with ${haproxy.exitCode}`);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      const settle = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => settle(true));
      socket.once('error', () => settle(false));
      socket.setTimeout(READY_PAUSE_MS, () => settle(false));
    });
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, READY_PAUSE_MS));
  }
  throw new Error(`haproxy did not listen on ${host}:${port}`);
}

function haproxyMissing(): string | null {
  const probe = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  return probe.status === 0 ? null : 'haproxy is not installed: apt-get install haproxy';
}

/** A self-signed certificate for the TLS frontend, or undefined without the openssl CLI. */
function makeCertificate(directory: string): string | undefined {
  const key = join(directory, 'key.pem');
  const cert = join(directory, 'cert.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=app.example',
      '-days',
      '1',
    ],
    { stdio: 'ignore' },
  );
  if (made.status !== 0) return undefined;
  const bundle = join(directory, 'haproxy.pem');
  writeFileSync(bundle, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return bundle;
}

/** The header of a received connection, failing with the parser's verdict otherwise. */
function headerOf(received: Received) {
  assert.equal(received.result.status, 'complete', JSON.stringify(received.result));
  assert.ok(received.result.status === 'complete');
  assert.equal(received.application.toString(), PAYLOAD, "the bytes after the header are the client's");
  return received.result.header;
}

/** Writes the payload once connected; returns the client's own port. */
async function sendThrough(connection: net.Socket, event: 'connect' | 'secureConnect' = 'connect'): Promise<number> {
  connection.on('error', () => undefined);
  await new Promise((resolve) => connection.once(event, resolve));
  connection.write(PAYLOAD);
  return connection.localPort!;
}

describe('PROXY headers from a real HAProxy', function () {
  this.timeout(20_000);

  const backend = new Backend();
  const ports = { v1: 0, v2: 0, v6: 0, tls: 0 };
  let directory = '';
  let haproxy: ChildProcess | undefined;
  let haproxyLog = '';
  let withTls = false;

  before(async function () {
    requirePrerequisite(this, haproxyMissing());
    directory = mkdtempSync(join(tmpdir(), `mmproxy-haproxy-${process.pid}-`));
    const backendPort = await backend.listen();
    ports.v1 = await freePort('127.0.0.1');
    ports.v2 = await freePort('127.0.0.1');
    ports.v6 = await freePort('::1');
    ports.tls = await freePort('127.0.0.1');
    const certificate = makeCertificate(directory);
    withTls = certificate !== undefined;
    const server = `server app 127.0.0.1:${backendPort}`;
    const config = [
      'global',
      '  maxconn 64',
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 5s',
      '  timeout server 5s',
      `frontend v1`,
      `  bind 127.0.0.1:${ports.v1}`,
      '  default_backend send_v1',
      `frontend v2`,
      `  bind 127.0.0.1:${ports.v2}`,
      `  bind [::1]:${ports.v6}`,
      '  unique-id-format %ci:%cp-%fp',
      '  default_backend send_v2',
      ...(certificate
        ? [`frontend tls`, `  bind 127.0.0.1:${ports.tls} ssl crt ${certificate}`, '  default_backend send_tls']
        : []),
      'backend send_v1',
      `  ${server} send-proxy`,
      'backend send_v2',
      `  ${server} send-proxy-v2 proxy-v2-options crc32c,unique-id`,
      'backend send_tls',
      `  ${server} send-proxy-v2 proxy-v2-options ssl,ssl-cipher,authority,crc32c`,
    ].join('\n');
    const configFile = join(directory, 'haproxy.cfg');
    writeFileSync(configFile, `${config}\n`);
    haproxy = spawn('haproxy', ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout?.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
    haproxy.stderr?.on('data', (chunk: Buffer) => (haproxyLog += chunk.toString()));
    try {
      await waitForPort('127.0.0.1', ports.v1, haproxy);
      await waitForPort('::1', ports.v6, haproxy);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${haproxyLog}`);
    }
  });

  after(() => {
    if (haproxy?.pid !== undefined && haproxy.exitCode === null) haproxy.kill('SIGTERM');
    backend.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('v1 send-proxy: TCP4 with the client and frontend addresses', async () => {
    const client = net.connect(ports.v1, '127.0.0.1');
    const clientPort = await sendThrough(client);
    const header = headerOf(await backend.next());
    client.destroy();
    assert.deepEqual(header, {
      version: 1,
      command: 'proxy',
      family: 'inet',
      transport: 'stream',
      source: { address: '127.0.0.1', port: clientPort },
      destination: { address: '127.0.0.1', port: ports.v1 },
      tlvs: [],
    });
  });

  for (const [name, host, key] of [
    ['IPv4', '127.0.0.1', 'v2'],
    ['IPv6', '::1', 'v6'],
  ] as const) {
    it(`v2 send-proxy-v2 over ${name}: addresses, a CRC32C that verifies, the UNIQUE_ID`, async () => {
      const client = net.connect(ports[key], host);
      const clientPort = await sendThrough(client);
      const header = headerOf(await backend.next());
      client.destroy();
      assert.equal(header.version, 2);
      assert.equal(header.family, name === 'IPv4' ? 'inet' : 'inet6');
      assert.deepEqual(header.source, { address: host, port: clientPort });
      assert.deepEqual(header.destination, { address: host, port: ports[key] });
      const names = header.tlvs.map((t) => t.name);
      assert.ok(names.includes('crc32c'), names.join());
      const uniqueId = header.tlvs.find((t) => t.name === 'unique_id');
      assert.equal(uniqueId?.value.toString(), `${host}:${clientPort}-${ports[key]}`);
    });
  }

  it('v2 behind a TLS frontend: the SSL TLV with version and cipher, the SNI as AUTHORITY', async function () {
    requirePrerequisite(this, withTls ? null : 'no openssl CLI to make a test certificate: apt-get install openssl');
    const client = tls.connect({
      host: '127.0.0.1',
      port: ports.tls,
      servername: 'app.example',
      rejectUnauthorized: false,
    });
    await sendThrough(client, 'secureConnect');
    const header = headerOf(await backend.next());
    const cipher = client.getCipher();
    const protocol = client.getProtocol();
    client.destroy();
    const byName = new Map(header.tlvs.map((t) => [t.name, t]));
    const authority = byName.get('authority');
    assert.equal(authority?.name === 'authority' && authority.authority, 'app.example');
    const ssl = byName.get('ssl');
    assert.ok(ssl?.name === 'ssl', JSON.stringify([...byName.keys()]));
    assert.equal(ssl.ssl.clientSsl, true);
    assert.equal(ssl.ssl.version, protocol);
    assert.ok([cipher.name, cipher.standardName].includes(ssl.ssl.cipher ?? ''), `${ssl.ssl.cipher} vs ${cipher.name}`);
  });
});
