/**
 * The doctor's command line through the real parser: go-mmproxy's
 * single-dash flags, usage errors (exit 2), --list-checks, check selection.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { main } from '../../../src/cli/main.js';
import { selectChecks } from '../../../src/doctor/registry.js';
import { FIELD_LOG, parseDoctorArgs, replayDoctor, setupFromArgs } from './replay.js';

async function captureStdio<T>(body: () => Promise<T>): Promise<{ result: T; stdout: string; stderr: string }> {
  const writes = { stdout: '', stderr: '' };
  const original = {
    stdout: process.stdout.write.bind(process.stdout),
    stderr: process.stderr.write.bind(process.stderr),
  };
  process.stdout.write = (chunk: string) => ((writes.stdout += chunk), true);
  process.stderr.write = (chunk: string) => ((writes.stderr += chunk), true);
  try {
    return { result: await body(), ...writes };
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
}

describe('mmproxy doctor command line', function () {
  it("reads go-mmproxy's single-dash flags like the double-dash ones", async function () {
    const single = setupFromArgs(
      await parseDoctorArgs([
        '-l',
        '0.0.0.0:80',
        '-4',
        '127.0.0.2:8080',
        '-6',
        '[::1]:8080',
        '-mark',
        '7',
        '-allowed-subnets',
        '/etc/x',
        '-p',
        'udp',
      ]),
    );
    const double = setupFromArgs(
      await parseDoctorArgs([
        '--l',
        '0.0.0.0:80',
        '--4',
        '127.0.0.2:8080',
        '--6',
        '[::1]:8080',
        '--mark',
        '7',
        '--allowed-subnets',
        '/etc/x',
        '--p',
        'udp',
      ]),
    );
    assert.deepEqual(single, double);
    assert.deepEqual(single.target4, { family: 4, address: '127.0.0.2', port: 8080, lastPort: 8080 });
    assert.deepEqual(single.target6, { family: 6, address: '::1', port: 8080, lastPort: 8080 });
    assert.equal(single.mark, 7);
    assert.equal(single.protocol, 'udp');
    assert.equal(single.allowedSubnetsFile, '/etc/x');
  });

  it('accepts a whole pasted go-mmproxy or mmproxy command line', async function () {
    const go = setupFromArgs(
      await parseDoctorArgs([
        '-l',
        '0.0.0.0:8443',
        '-4',
        '127.0.0.1:443',
        '-6',
        '[::1]:443',
        '-p',
        'tcp',
        '-mark',
        '0',
        '-allowed-subnets',
        '/x',
        '-listeners',
        '4',
        '-close-after',
        '30',
        '-v',
        '2',
        '-listen-transparent',
      ]),
    );
    assert.equal(go.allowedSubnetsFile, '/x');
    const ours = setupFromArgs(
      await parseDoctorArgs([
        '--listen',
        '0.0.0.0:8443',
        '--target4',
        '127.0.0.2:80',
        '--target6',
        'none',
        '--connect-timeout',
        '2s',
        '--max-connections',
        '300',
        '--stats-socket',
        '/run/m.sock',
        '--dynamic-destination',
      ]),
    );
    assert.deepEqual(ours.target4, { family: 4, address: '127.0.0.2', port: 80, lastPort: 80 });
    assert.equal(ours.target6, null);
    assert.equal(ours.connectTimeoutMs, 2000);
    assert.equal(ours.expectedConnections, 300);
    assert.equal(ours.dynamicDestination, true);
  });

  it('uses go-mmproxy\'s defaults, and "none" drops a family', async function () {
    const setup = setupFromArgs(await parseDoctorArgs(['-6', 'none']));
    assert.equal(setup.listen.address, '0.0.0.0');
    assert.equal(setup.listen.port, 8443);
    assert.deepEqual(setup.target4, { family: 4, address: '127.0.0.1', port: 443, lastPort: 443 });
    assert.equal(setup.target6, null);
  });

  for (const [args, message] of [
    // The proxy's own messages: the doctor parses flags with the proxy's parser.
    [['doctor', '-4', '127.0.0.1'], /-4: "127.0.0.1" has no port; write address:port/],
    [['doctor', '-6', '::1:80'], /-6: "::1:80": put an IPv6 address in brackets, e.g. \[::1\]:80/],
    [['doctor', '-p', 'sctp'], /-p: "sctp" must be one of tcp, udp/],
    [['doctor', '--connect-timeout', 'soon'], /--connect-timeout: "soon" must be a duration like 5, 2.5s, 500ms or 1m/],
    [['doctor', '-4', 'none', '-6', 'none'], /there is nowhere to forward to/],
    [['doctor', 'no-such-check'], /unknown check no-such-check; see 'mmproxy doctor --list-checks'/],
    [['doctor', '--no-such-flag'], /unknown flag --no-such-flag\n/],
  ] as const) {
    it(`exits 2 with a clear message: ${args.slice(1).join(' ')}`, async function () {
      const { result, stderr } = await captureStdio(() => main([...args]));
      assert.equal(result, 2);
      assert.match(stderr, message);
    });
  }

  it('--list-checks lists every check with its groups and exits 0', async function () {
    const { result, stdout } = await captureStdio(() => main(['doctor', '--list-checks']));
    assert.equal(result, 0);
    assert.match(stdout, /^loopback-routing-v4 {2}IPv4 loopback routing \[routing\]$/m);
    assert.equal(stdout.trim().split('\n').length, 13);
  });

  it('selects checks by id or by group, in registry order', function () {
    assert.deepEqual(
      selectChecks(['target', 'privilege']).map((check) => check.id),
      ['privilege', 'target', 'file-limit'],
    );
    assert.deepEqual(
      selectChecks(['routing']).map((check) => check.id),
      ['loopback-routing-v4', 'loopback-routing-v6', 'mark-routing'],
    );
  });

  it('runs only the named checks', async function () {
    const { output, code } = await replayDoctor('no-routing', [
      '-4',
      '127.0.0.1:8080',
      '-6',
      '[::1]:8080',
      '-l',
      '127.0.0.1:8443',
      '--json',
      'loopback-routing-v4',
    ]);
    const report = JSON.parse(output) as { checks: { id: string }[] };
    assert.deepEqual(
      report.checks.map((check) => check.id),
      ['loopback-routing-v4'],
    );
    assert.equal(code, 1);
  });

  it('reads the HAProxy log from stdin with --haproxy-log -', async function () {
    const { output, code } = await replayDoctor(
      'no-routing',
      ['--haproxy-log', '-', 'haproxy'],
      {},
      readFileSync(FIELD_LOG, 'utf8'),
    );
    assert.equal(code, 1);
    assert.match(
      output,
      /^✘ HAProxy log: server aaa: 2\/2 sessions aborted by the server side after ~7\.1 s with 0 bytes/m,
    );
  });

  it('--fix without --yes and without a terminal changes nothing and says why', async function () {
    // The replay answers only what was recorded: running any `ip rule add` would throw.
    const { output, code } = await replayDoctor(
      'no-routing',
      ['-4', '127.0.0.1:8080', '-6', '[::1]:8080', '-l', '127.0.0.1:8443', '--fix'],
      {},
      '',
    );
    assert.equal(code, 1);
    assert.match(
      output,
      /--fix will run:\n {2}ip route add local 0\.0\.0\.0\/0 dev lo table 123\n {2}ip rule add from 127\.0\.0\.1 iif lo ipproto tcp sport 8080 lookup 123\n {2}ip -6 route add local ::\/0 dev lo table 123\n {2}ip -6 rule add from ::1 iif lo ipproto tcp sport 8080 lookup 123\n/,
    );
    assert.match(output, /--fix: not applied: stdin is not a terminal to confirm on; add --yes\.\n$/);
  });

  it('refuses --fix with the log on stdin unless --yes (stdin cannot answer the prompt too)', async function () {
    const { result, stderr } = await captureStdio(() => main(['doctor', '--haproxy-log', '-', '--fix']));
    assert.equal(result, 2);
    assert.match(stderr, /add --yes/);
  });

  it('--fix --json prints one document with what --fix offered and why it ran nothing', async function () {
    const { output } = await replayDoctor(
      'no-routing',
      ['-4', '127.0.0.1:8080', '-6', '[::1]:8080', '-l', '127.0.0.1:8443', '--fix', '--json', 'routing'],
      {},
      '',
    );
    const document = JSON.parse(output) as {
      fix: { commands: string[]; applied: unknown[]; notApplied: string };
      exitCode: number;
    };
    assert.equal(document.fix.commands.length, 4);
    assert.deepEqual(document.fix.applied, []);
    assert.equal(document.fix.notApplied, 'not applied: stdin is not a terminal to confirm on; add --yes.');
    assert.equal(document.exitCode, 1);
  });
});
