/** HAProxy log parsing and the per-server conclusion, on the field log and on variants of it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { analyseLog, explainClusterTime } from '../../../src/doctor/haproxy/analyse-log.js';
import { HaproxyLogTally } from '../../../src/doctor/haproxy/log-tally.js';
import { parseHaproxyLog } from '../../../src/doctor/haproxy/parse-log.js';
import { explainTerminationState } from '../../../src/doctor/haproxy/termination-state.js';
import { FIELD_LOG } from './replay.js';

const AAA_CONCLUSION =
  'server aaa: 2/2 sessions aborted by the server side after ~7.1 s with 0 bytes — mmproxy on aaa could not complete its upstream connect; run `mmproxy doctor` on aaa';

describe('HAProxy log analysis', function () {
  describe('the field log', function () {
    const parsed = parseHaproxyLog(readFileSync(FIELD_LOG, 'utf8'));
    const findings = analyseLog(HaproxyLogTally.ofText(readFileSync(FIELD_LOG, 'utf8')));
    const byName = new Map(findings.map((finding) => [finding.name, finding]));

    it('reads every line as a TCP session', function () {
      assert.equal(parsed.sessions.length, 14);
      assert.equal(parsed.skippedLines, 0);
      assert.deepEqual(parsed.sessions[0], {
        line: 1,
        mode: 'tcp',
        client: '202.120.3.36',
        frontend: 'ssh',
        backend: 'ssh',
        server: 'aaa',
        queueMs: 1,
        connectMs: 0,
        totalMs: 7102,
        bytesRead: 0,
        state: 'SD',
        httpStatus: null,
      });
    });

    it("concludes exactly the issue's words for aaa", function () {
      assert.equal(byName.get('aaa')?.verdict, 'broken');
      assert.equal(byName.get('aaa')?.conclusion, AAA_CONCLUSION);
    });

    it('finds bbb and ccc healthy', function () {
      assert.equal(byName.get('bbb')?.conclusion, 'server bbb: 5 sessions, healthy (3 × --, 2 × cD)');
      assert.equal(byName.get('ccc')?.conclusion, 'server ccc: 7 sessions, healthy (2 × cD, 4 × --, 1 × CD)');
    });

    it("explains the 7.1 s cluster as go-mmproxy's TCP_SYNCNT=2 give-up", function () {
      assert.match(explainClusterTime(byName.get('aaa')!) ?? '', /TCP_SYNCNT=2 sends SYNs at 0, 1 and 3 s/);
    });
  });

  describe('formats', function () {
    const tcp = '10.0.0.1:4000 [30/May/2024:16:47:19.349] fe be/web1 0/0/5004 0 SD 1/1/0/0/0 0/0';

    it('reads lines without a syslog prefix, and with an RFC 5424 one', function () {
      const plain = parseHaproxyLog(tcp).sessions[0];
      const rfc5424 = parseHaproxyLog(`<134>1 2024-05-30T16:47:24Z lb haproxy 5767 - - ${tcp}`).sessions[0];
      assert.equal(plain?.server, 'web1');
      assert.deepEqual(rfc5424, plain);
    });

    it('reads HTTP lines (option httplog)', function () {
      const line =
        'May 30 16:47:26 lb haproxy[1]: 192.0.2.9:51000 [30/May/2024:16:47:21.000] www~ app/s1 0/0/0/-1/5001 502 209 - - SH-- 1/1/0/0/0 0/0 "GET / HTTP/1.1"';
      const [session] = parseHaproxyLog(line).sessions;
      assert.equal(session?.mode, 'http');
      assert.equal(session?.state, 'SH');
      assert.equal(session?.httpStatus, 502);
      assert.equal(session?.totalMs, 5001);
    });

    it('skips junk and non-session lines without failing', function () {
      const text = [
        'Proxy fe started.',
        'garbage ::: [',
        '',
        tcp,
        'Server be/web1 is DOWN, reason: Layer4 timeout',
      ].join('\n');
      const parsed = parseHaproxyLog(text);
      assert.equal(parsed.sessions.length, 1);
      assert.equal(parsed.skippedLines, 3);
    });
  });

  describe('signatures', function () {
    const line = (server: string, total: number, bytes: number, state: string) =>
      `10.0.0.1:4000 [30/May/2024:16:47:19.349] fe be/${server} 0/0/${total} ${bytes} ${state} 1/1/0/0/0 0/0`;

    it("attributes a ~5 s cluster to mmproxy's --connect-timeout", function () {
      const [finding] = analyseLog(
        HaproxyLogTally.ofText([line('m', 5003, 0, 'SD'), line('m', 5004, 0, 'SD')].join('\n')),
      );
      assert.equal(finding?.verdict, 'broken');
      assert.match(explainClusterTime(finding) ?? '', /mmproxy's default --connect-timeout of 5 s/);
    });

    it("reads sD at HAProxy's timeout server as the same fault", function () {
      const [finding] = analyseLog(
        HaproxyLogTally.ofText([line('t', 3000, 0, 'sD'), line('t', 3001, 0, 'sD')].join('\n')),
      );
      assert.equal(
        finding?.conclusion,
        'server t: 2/2 sessions timed out on the server side after ~3.0 s with 0 bytes — mmproxy on t could not complete its upstream connect; run `mmproxy doctor` on t',
      );
      assert.match(explainClusterTime(finding) ?? '', /timeout server/);
    });

    it('does not call a server broken for SD with bytes, or for spread-out times', function () {
      const withData = analyseLog(HaproxyLogTally.ofText(line('d', 7100, 512, 'SD')))[0];
      assert.equal(withData?.verdict, 'healthy');
      const spread = analyseLog(
        HaproxyLogTally.ofText([line('s', 1000, 0, 'SD'), line('s', 60000, 0, 'SD')].join('\n')),
      )[0];
      assert.equal(spread?.verdict, 'suspect');
    });
  });

  it('names a server HAProxy could not connect to at all (SC), not healthy', function () {
    const line = (state: string) =>
      `10.0.0.1:4000 [30/May/2024:16:47:19.349] fe be/down 0/-1/3 0 ${state} 1/1/0/0/3 0/0`;
    const [finding] = analyseLog(HaproxyLogTally.ofText([line('SC'), line('SC'), line('sC')].join('\n')));
    assert.equal(finding?.verdict, 'unreachable');
    assert.equal(
      finding?.conclusion,
      'server down: 3/3 sessions could not connect to the server at all (2 × SC, 1 × sC) — mmproxy on down is not listening where HAProxy connects, or a firewall drops it',
    );
  });

  describe('termination states in words', function () {
    it('explains both characters', function () {
      assert.equal(
        explainTerminationState('SD'),
        'the server side aborted the session unexpectedly, or explicitly refused it, during the data phase',
      );
      assert.equal(
        explainTerminationState('cD'),
        'the client-side timeout expired while waiting for the client to send or receive data, during the data phase',
      );
      assert.equal(
        explainTerminationState('sC'),
        'the server-side timeout expired while waiting for the server to send or receive data, while waiting for the connection to the server to be established',
      );
      assert.equal(explainTerminationState('--'), 'normal end: both sides closed with nothing left in the buffers');
    });
  });
});
