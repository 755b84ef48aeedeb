/**
 * The doctor reads -allowed-subnets with the proxy's own reader: a file the
 * proxy refuses to start with fails the doctor with the very message the
 * proxy prints. Both CLIs run for real inside one namespace (the proxy
 * refuses before it binds anything).
 *
 *   ┌── srv ──────────────────────────────────────┐
 *   │ mmproxy doctor … -allowed-subnets FILE       │
 *   │ mmproxy        … -allowed-subnets FILE       │
 *   └──────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assertNoLeaks, type Host, Lab } from '../../../lab/index.js';
import { MMPROXY_BIN } from '../../../lab/mmproxy/mmproxy-process.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { runDoctorJson } from './helpers/run-doctor.js';

const FLAGS = ['-l', '0.0.0.0:8443', '-4', '127.0.0.1:8080', '-6', 'none'];

describe('mmproxy doctor: the allowed-subnets file, read as the proxy reads it', function () {
  this.timeout(30_000);
  let lab: Lab;
  let srv: Host;
  let dir: string;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('drsubnet');
    srv = await lab.host('srv');
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-doctor-subnets-'));
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  /** The proxy's refusal (exit 2, its message) and the doctor's security finding for the same file. */
  async function both(file: string) {
    const proxy = await srv.exec([process.execPath, MMPROXY_BIN, ...FLAGS, '-allowed-subnets', file]);
    const doctor = await runDoctorJson(srv, [...FLAGS, '-allowed-subnets', file, 'security']);
    return { proxy, doctor, security: doctor.checks.get('security') };
  }

  for (const [name, contents, message] of [
    [
      'a host name among the prefixes',
      '192.0.2.0/24\nlb.example.com\n',
      /^-allowed-subnets: \S+:2: "lb\.example\.com" is not a numeric IPv4 or IPv6 address$/,
    ],
    ['no prefix at all', '# nothing yet\n', /^-allowed-subnets: \S+: no prefixes found; /],
    [
      'a missing file',
      null,
      /^-allowed-subnets: cannot read allowed-subnets file \S+: no such file or directory \(ENOENT\)$/,
    ],
  ] as const) {
    it(`fails with the proxy's own message: ${name}`, async function () {
      const file = join(dir, name.replaceAll(' ', '-'));
      if (contents !== null) await writeFile(file, contents);
      const { proxy, doctor, security } = await both(file);
      assert.equal(proxy.code, 2, proxy.stderr);
      assert.equal(doctor.code, 1);
      assert.equal(security?.status, 'fail');
      assert.match(security?.summary ?? '', message);
      assert.ok(proxy.stderr.includes(`mmproxy: ${security?.summary}\n`), `proxy said:\n${proxy.stderr}`);
    });
  }

  it('judges a file the proxy accepts, with its notes', async function () {
    const file = join(dir, 'good');
    await writeFile(file, '192.0.2.1/24\n2001:db8::/32\n');
    const security = (await runDoctorJson(srv, [...FLAGS, '-allowed-subnets', file, 'security'])).checks.get(
      'security',
    );
    assert.equal(security?.status, 'ok');
    assert.match(security?.summary ?? '', /^only 2 subnets from \S+ may connect to 0\.0\.0\.0:8443$/);
    assert.ok(
      security?.evidence.some((line) => /192\.0\.2\.1\/24 has host bits set; using 192\.0\.2\.0\/24/.test(line)),
    );
  });
});
