/*
 * 10,000 UDP sessions at once in each header mode (every, first, spp), over IPv4 and IPv6: each client's two
 * datagrams reach the service as that client (in `first`, the second one bare), every reply comes back to the
 * load balancer (SPP replies behind their header), the data plane holds one session per client, and closing it
 * gives every descriptor back. The load balancer (lab/services/udp-sessions.ts) builds its headers by hand from the
 * specs; in `first` it is 10,000 sockets, since there a session is the load balancer's address and port.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import type { UdpHeaderMode } from '../../../src/base/flows.js';
import { DataPlaneDriver, dataPlaneConfig, eventually } from '../dataplane/harness/driver.js';
import { useLoopbackApp } from './helpers/loopback-app.js';

const UDP_SESSIONS = fileURLToPath(new URL('../../../lab/services/udp-sessions.js', import.meta.url));
const SESSIONS = 10_000;

interface SessionsResult {
  sessions: number;
  answered: number;
  wrong: number;
  lost: number;
  /** Datagrams sent in each round, those asked for again included. */
  sent: number[];
  elapsedMs: number;
}

describe(`UDP: ${SESSIONS.toLocaleString('en')} sessions at once in each header mode, IPv4 and IPv6`, function () {
  this.timeout(180_000);
  const net = useLoopbackApp('udpmany');
  let port = 8130;

  for (const mode of ['every', 'first', 'spp'] as const satisfies readonly UdpHeaderMode[]) {
    for (const family of [4, 6] as const) {
      it(`${mode}, IPv${family}: every client answered as itself, one session each, descriptors given back`, async function () {
        const app = net().app;
        port += 1;
        const plane = net().own(
          await DataPlaneDriver.start(
            app,
            dataPlaneConfig({
              protocol: 'udp',
              listen: { family: 6, address: '::', port },
              target4: { family: 4, address: '127.0.0.1', port: 7100 },
              target6: { family: 6, address: '::1', port: 7100 },
              closeAfterSeconds: 120,
              maxSessions: 2 * SESSIONS,
              udpHeader: mode,
              listeners: 2,
            }),
          ),
        );
        const lb = family === 4 ? '127.0.0.1' : '::1';
        const to = family === 4 ? `127.0.0.1:${port}` : `[::1]:${port}`;
        const run = await app.run(
          [process.execPath, UDP_SESSIONS, '--from', lb, '--to', to, '--mode', mode, '--sessions', String(SESSIONS)],
          { timeoutMs: 150_000 },
        );
        const result = JSON.parse(run.stdout) as SessionsResult;
        console.log(`      ${mode} IPv${family}: ${JSON.stringify(result)}`);
        assert.equal(result.wrong, 0, 'no reply named another client');
        assert.equal(result.answered, SESSIONS, `${result.lost} clients not answered`);
        const counters = await eventually('every session counted', async () => {
          const now = await plane.counters();
          return now.active === SESSIONS ? now : undefined;
        });
        assert.equal(counters.sessionsEvicted, 0);
        if (mode === 'spp') assert.equal(counters.udpHeaders.sppSessions, SESSIONS);
        if (mode === 'first') {
          // A header on each client's first datagram, its second bare. A reply slower than the load balancer's wait
          // (2 s, seen with the sanitized build) makes it send that datagram again, so each count lies between one
          // per client and what was sent in its round.
          const { proxyV2, bare } = counters.udpHeaders.datagrams;
          const [headed = 0, plain = 0] = result.sent;
          assert.ok(proxyV2 >= SESSIONS && proxyV2 <= headed, `${proxyV2} header datagrams, ${headed} sent`);
          assert.ok(bare >= SESSIONS && bare <= plain, `${bare} bare datagrams, ${plain} sent`);
        }
        const { fdsBefore, fdsAfter } = await plane.close();
        assert.equal(fdsAfter, fdsBefore);
      });
    }
  }
});
