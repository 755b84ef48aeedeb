/**
 * Golden strings of the human report: plain, coloured, and on a 40-column
 * terminal. Regenerate after an intended change with UPDATE_GOLDEN=1 and
 * review the diff.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { renderHuman } from '../../../src/doctor/render/human.js';
import { renderJson } from '../../../src/doctor/render/json.js';
import type { CheckReport } from '../../../src/doctor/types.js';
import { setupFromArgs } from './replay.js';

const GOLDEN = fileURLToPath(new URL('../../../../test/unit/doctor/golden/', import.meta.url));

const REPORTS: CheckReport[] = [
  {
    id: 'privilege',
    title: 'Privilege for spoofed connections',
    status: 'ok',
    summary: 'this process may set IP_TRANSPARENT',
    evidence: ['setsockopt(IP_TRANSPARENT) succeeded'],
    elapsedMs: 1,
  },
  {
    id: 'loopback-routing-v4',
    title: 'IPv4 loopback routing',
    status: 'fail',
    summary: 'no rule sends replies from 127.0.0.1 (iif lo) to a table with a local route',
    evidence: [
      '`ip -4 route get 192.0.2.1 from 127.0.0.1` → Invalid argument: the kernel will not send a packet with a loopback source out of a non-loopback interface, so the SYN-ACK is never sent',
      'table 123 is free (no rule or route uses it)',
    ],
    remediation: {
      commands: ['ip rule add from 127.0.0.1/32 iif lo table 123', 'ip route add local 0.0.0.0/0 dev lo table 123'],
      text: 'Add the loopback policy routing (rule and table).',
      apply: [['ip', 'rule', 'add', 'from', '127.0.0.1/32', 'iif', 'lo', 'table', '123']],
    },
    elapsedMs: 2,
  },
  {
    id: 'mark-routing',
    title: 'Mark-based routing',
    status: 'skip',
    summary: 'no -mark, and every target is on this host',
    evidence: [],
    elapsedMs: 0,
  },
  {
    id: 'target',
    title: 'Target reachability',
    status: 'fail',
    summary:
      '127.0.0.1:8080 answers a plain connect but a spoofed one times out: the SYN reaches the app, its SYN-ACK never comes back (missing reply routing)',
    evidence: [
      'plain connect to 127.0.0.1:8080: connected',
      'spoofed connect from 192.0.2.1 to 127.0.0.1:8080: no answer within 500 ms',
    ],
    symptom: { of: 'reply-routing' },
    elapsedMs: 500,
  },
  {
    id: 'security',
    title: 'Who may send PROXY headers',
    status: 'warn',
    summary: 'listening on 0.0.0.0:8443 with no -allowed-subnets: anyone who reaches the port can pose as any client',
    evidence: [],
    elapsedMs: 0,
  },
  {
    id: 'haproxy-log',
    title: 'HAProxy log',
    status: 'fail',
    summary:
      'server aaa: 2/2 sessions aborted by the server side after ~7.1 s with 0 bytes — mmproxy on aaa could not complete its upstream connect; run `mmproxy doctor` on aaa',
    evidence: ['server bbb: 5 sessions, healthy (3 × --, 2 × cD)'],
    symptom: { of: 'reply-routing', servers: ['aaa'] },
    elapsedMs: 3,
  },
  {
    id: 'sysctls',
    title: 'Kernel settings',
    status: 'crash',
    summary: 'did not finish within 5000 ms',
    evidence: [],
    elapsedMs: 5000,
  },
];

const HEADING = 'mmproxy doctor: tcp 0.0.0.0:8443 → 127.0.0.1:8080';

function golden(name: string, actual: string): void {
  const path = `${GOLDEN}${name}.txt`;
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'));
}

describe('doctor report rendering', function () {
  it('plain, 100 columns', function () {
    golden('plain-100', renderHuman(REPORTS, { colour: false, width: 100, heading: HEADING }));
  });

  it('coloured, 100 columns', function () {
    golden('colour-100', renderHuman(REPORTS, { colour: true, width: 100, heading: HEADING }));
  });

  it('plain, narrow terminal (40 columns), commands kept whole', function () {
    const text = renderHuman(REPORTS, { colour: false, width: 40, heading: HEADING });
    golden('plain-40', text);
    assert.ok(text.includes('\n      ip route add local 0.0.0.0/0 dev lo table 123\n'));
  });

  it('a healthy run has no root-cause headline and no --fix hint', function () {
    const text = renderHuman([REPORTS[0] as CheckReport], { colour: false, width: 100, heading: HEADING });
    assert.equal(
      text,
      `${HEADING}\n\n✔ Privilege for spoofed connections: this process may set IP_TRANSPARENT\n    · setsockopt(IP_TRANSPARENT) succeeded\n\n1 ok.\n`,
    );
  });

  it('JSON carries the same content and the root cause', function () {
    const build = { version: '1.2.3', commit: '1a2b3c4d5e6f', node: 'v20.19.0' };
    const document = JSON.parse(renderJson(REPORTS, setupFromArgs({}), 1, undefined, build, 'web-1')) as {
      schemaVersion: number;
      mmproxy: unknown;
      host: string;
      rootCause: { id: string; summary: string; explains: string[]; conclusion: string | null };
      checks: { id: string; status: string; remediation: { commands: string[]; appliedByFix: boolean } | null }[];
      exitCode: number;
    };
    assert.deepEqual(document.rootCause, {
      id: 'loopback-routing-v4',
      summary: 'no rule sends replies from 127.0.0.1 (iif lo) to a table with a local route',
      explains: ['target', 'haproxy-log'],
      conclusion: "If this host is aaa, this is why HAProxy's sessions to aaa ended with 0 bytes from the server side.",
    });
    assert.deepEqual(
      document.checks.map((check) => check.status),
      REPORTS.map((report) => report.status),
    );
    assert.deepEqual(document.checks[1]?.remediation, {
      commands: ['ip rule add from 127.0.0.1/32 iif lo table 123', 'ip route add local 0.0.0.0/0 dev lo table 123'],
      text: 'Add the loopback policy routing (rule and table).',
      appliedByFix: true,
    });
    assert.equal(document.exitCode, 1);
    assert.equal(document.schemaVersion, 1);
    assert.deepEqual(document.mmproxy, build);
    assert.equal(document.host, 'web-1', 'the host a report from many is about');
  });
});
