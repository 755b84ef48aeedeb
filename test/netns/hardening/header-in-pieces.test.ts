/*
 * The longest PROXY v2 header (65,551 bytes: 21,841 empty NOOP TLVs) arriving in small pieces: parsing the whole
 * header again at every read made that quadratic (seconds of CPU for one connection); the data plane parses a
 * header in many pieces less and less often (native/src/dataplane/tcp/worker_header.cc). Checked here: such a header
 * is still relayed, a mistake at its very end is still refused with its own code, and a mistake in the middle of a
 * header the load balancer then abandons is refused with that mistake's code, not as a truncated header. The CPU the
 * proxy spent is printed, never asserted.
 *
 *   ┌── app (loopback routing) ────────────────────────────────────────────────────────────┐
 *   │ piecewise-sender ──v2 header, in pieces────────▶ mmproxy 127.0.0.1:8600 ──▶ peer :7600 │
 *   └────────────────────────────────────────────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { assertNoLeaks, type Host, type HostProcess, Lab, startPeerService } from '../../../lab/index.js';
import { startMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { requestSnapshot } from '../../../src/stats/client.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

const SENDER = fileURLToPath(new URL('./helpers/piecewise-sender.js', import.meta.url));
const CLOCK_TICKS = 100;
const CLIENT = { address: [198, 51, 100, 77], port: 47_700 };

/** A v2 PROXY/STREAM/INET header naming CLIENT, its TLV area `tlvs`, written from the spec byte by byte. */
function v2Header(tlvs: Buffer): Buffer {
  const fixed = Buffer.from('0d0a0d0a000d0a515549540a2111', 'hex');
  const addresses = Buffer.from([...CLIENT.address, 127, 0, 0, 1, CLIENT.port >> 8, CLIENT.port & 0xff, 0x1d, 0xb0]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(addresses.length + tlvs.length);
  return Buffer.concat([fixed, length, addresses, tlvs]);
}

/** `count` empty NOOP TLVs (type 0x04, length 0). */
const noops = (count: number) => Buffer.concat(Array.from({ length: count }, () => Buffer.from([0x04, 0, 0])));
/** The longest TLV area: 65,535 announced bytes less the 12 of the addresses, in 3-byte NOOPs. */
const MAX_NOOPS = (65_535 - 12) / 3;

async function cpuSeconds(pid: number): Promise<number> {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime: fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

describe('hardening: the longest v2 header in small pieces', function () {
  this.timeout(120_000);
  let lab: Lab;
  let app: Host;
  let proxy: HostProcess;
  let dir: string;
  const statsSocket = () => join(dir, 'stats.sock');

  before(async function () {
    requireNetns(this);
    dir = mkdtempSync(join(tmpdir(), 'mmproxy-pieces-'));
    lab = Lab.create('pieces');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    await startPeerService(app, '127.0.0.1:7600');
    proxy = await startMmproxy(app, [
      '-l',
      '127.0.0.1:8600',
      '-4',
      '127.0.0.1:7600',
      '--header-timeout',
      '60s',
      '--stats-socket',
      statsSocket(),
      '-listeners',
      '1',
    ]);
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    rmSync(dir, { recursive: true, force: true });
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  async function send(
    header: Buffer,
    extra: string[],
    piece = 64,
  ): Promise<{ received: string; ending: string; cpu: number }> {
    const file = join(dir, `header-${header.length}-${piece}.hex`);
    writeFileSync(file, header.toString('hex'));
    const before = await cpuSeconds(proxy.pid);
    const run = await app.run(
      [process.execPath, SENDER, '--connect', '127.0.0.1:8600', '--hex-file', file, '--piece', String(piece), ...extra],
      { timeoutMs: 100_000 },
    );
    const result = JSON.parse(run.stdout.trim()) as { received: string; ending: string };
    return { ...result, cpu: (await cpuSeconds(proxy.pid)) - before };
  }

  const badHeaders = async (code: string) => (await requestSnapshot(statsSocket())).counters.badHeaders[code] ?? 0;

  it('relays the longest header, its last 2,000 bytes a byte a write, as the client it names', async function () {
    // What costs most: many reads when nearly all of the header (and its TLVs) is already there.
    const header = v2Header(noops(MAX_NOOPS));
    assert.equal(header.length, 65_551);
    const tail = 2_000;
    const result = await send(
      header,
      ['--then', 'hello', '--head', String(header.length - tail), '--pause-ms', '1'],
      1,
    );
    console.log(
      `      65,551-byte header, the last ${tail} bytes in ${tail} writes: mmproxy used ${result.cpu.toFixed(2)} s of CPU`,
    );
    assert.equal(result.received, `PEER 198.51.100.77 47700\nhello`);
  });

  it('refuses it when its last TLV overruns the header by one byte (found when the header is whole)', async function () {
    const tlvs = Buffer.concat([noops(MAX_NOOPS - 1), Buffer.from([0x04, 0, 1])]);
    const before = await badHeaders('ERR_V2_TLV_TRUNCATED');
    const result = await send(v2Header(tlvs), ['--then', 'hello']);
    assert.equal(result.received, '');
    assert.equal((await badHeaders('ERR_V2_TLV_TRUNCATED')) - before, 1);
  });

  it('names a mistake in the middle of a header the load balancer then abandons by its own code', async function () {
    // An empty AUTHORITY TLV (type 0x02 must carry a name) two thirds in, then the sender closes before the end.
    const third = Math.floor(MAX_NOOPS / 3);
    const tlvs = Buffer.concat([noops(2 * third), Buffer.from([0x02, 0, 0]), noops(MAX_NOOPS - 2 * third - 1)]);
    const header = v2Header(tlvs);
    const before = await badHeaders('ERR_V2_BAD_TLV_LENGTH');
    const result = await send(header, ['--end-after', String(header.length - 600)]);
    assert.equal(result.received, '');
    assert.equal((await badHeaders('ERR_V2_BAD_TLV_LENGTH')) - before, 1);
  });
});
