/**
 * Class 1 of issue #13, the routing part: working setups whose rules carry
 * selectors the recipe does not (the protocol and port, the app's user), or
 * that sit among wg-quick's rules, must be judged on the app's real reply and
 * pass: the doctor CLI exits 0, its spoofed probe connects, and the routing
 * check names the rule that takes the reply.
 *
 *   ┌── srv ─────────────────────────────────────┐  veth  ┌── gw ────────────┐
 *   │ eth0 198.51.100.2/24, default via gw       ├────────┤ 198.51.100.1     │
 *   │ the app on 127.0.0.1 (TCP or UDP)           │        └──────────────────┘
 *   │ the setup's rules, table 123 local route    │
 *   └─────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { basename, dirname, join } from 'node:path';

import { assertNoLeaks, type Host, Lab, services, startPeerService } from '../../../lab/index.js';
import { readableCopy, type ReadableCopy } from '../../support/readable-copy.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { addWgQuickRules } from './helpers/app-host.js';
import { runDoctorJson } from './helpers/run-doctor.js';
import { buildTopology } from './helpers/scenarios.js';

const APP_UID = 1000;
// The app runs as APP_UID, which cannot load code from a clone only root can read (/root): it runs a copy.
let appServices: ReadableCopy | undefined;

interface Setup {
  name: string;
  args: string[];
  build(srv: Host): Promise<void>;
  /** The evidence line naming the rule that takes the reply. */
  taker: RegExp;
}

const localRoute = (srv: Host) => srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '123']);

const SETUPS: Setup[] = [
  {
    name: 'the rule of the issue: from 127.0.0.1 ipproto tcp sport 7000 iif lo',
    args: ['-4', '127.0.0.1:7000', '-6', 'none'],
    build: async (srv) => {
      await srv.ip([
        'rule',
        'add',
        'from',
        '127.0.0.1',
        'ipproto',
        'tcp',
        'sport',
        '7000',
        'iif',
        'lo',
        'lookup',
        '123',
      ]);
      await localRoute(srv);
      await startPeerService(srv, '127.0.0.1:7000');
    },
    taker:
      /^rule "32765: from 127\.0\.0\.1 iif lo ipproto tcp sport 7000 lookup 123" takes it: table 123 answers local default dev lo$/,
  },
  {
    name: "a rule for the app's user only (uidrange), the app running as that user",
    args: ['-4', '127.0.0.1:7000', '-6', 'none'],
    build: async (srv) => {
      await srv.ip([
        'rule',
        'add',
        'from',
        '127.0.0.1',
        'iif',
        'lo',
        'uidrange',
        `${APP_UID}-${APP_UID}`,
        'lookup',
        '123',
      ]);
      await localRoute(srv);
      const app = srv.spawn([
        'setpriv',
        `--reuid=${APP_UID}`,
        `--regid=${APP_UID}`,
        '--clear-groups',
        process.execPath,
        join(appServices!.directory, basename(services.peerService)),
        '--listen',
        '127.0.0.1:7000',
      ]);
      await app.waitForOutput(/^LISTENING /m);
    },
    taker: /^rule "32765: from 127\.0\.0\.1 iif lo uidrange 1000-1000 lookup 123" takes it/,
  },
  {
    name: "wg-quick up first, then go-mmproxy's unit adds the recipe: the recipe comes before WireGuard's rules",
    args: ['-4', '127.0.0.1:7000', '-6', 'none'],
    build: async (srv) => {
      await srv.ip(['link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0peer']);
      await srv.ip(['link', 'set', 'wg0', 'up']);
      await addWgQuickRules(srv);
      await srv.ip(['rule', 'add', 'from', '127.0.0.1/8', 'iif', 'lo', 'table', '123']);
      await localRoute(srv);
      await startPeerService(srv, '127.0.0.1:7000');
    },
    taker: /^rule "32763: from 127\.0\.0\.1\/8 iif lo lookup 123" takes it/,
  },
  {
    name: 'UDP: a rule for the UDP service only (ipproto udp sport 5353)',
    args: ['-p', 'udp', '-4', '127.0.0.1:5353', '-6', 'none'],
    build: async (srv) => {
      await srv.ip([
        'rule',
        'add',
        'from',
        '127.0.0.1',
        'iif',
        'lo',
        'ipproto',
        'udp',
        'sport',
        '5353',
        'lookup',
        '123',
      ]);
      await localRoute(srv);
      await startPeerService(srv, '127.0.0.1:5353', { udp: true });
    },
    taker: /^rule "32765: from 127\.0\.0\.1 iif lo ipproto udp sport 5353 lookup 123" takes it/,
  },
];

describe('doctor routing: no false alarm on working setups with more selectors (class 1)', function () {
  this.timeout(60_000);
  before(function () {
    requireNetns(this);
    appServices = readableCopy(dirname(services.peerService));
  });
  after(function () {
    appServices?.remove();
  });

  for (const setup of SETUPS) {
    describe(setup.name, function () {
      let lab: Lab;
      let srv: Host;
      before(async function () {
        lab = Lab.create('dralarm');
        srv = (await buildTopology(lab)).srv;
        await setup.build(srv);
      });
      afterEach(function () {
        printLabLogOnFailure(this, lab);
      });
      after(async function () {
        if (!lab) return;
        await lab.destroy();
        await assertNoLeaks(lab);
      });

      it('exits 0, and the routing check names the rule that takes the reply', async function () {
        const report = await runDoctorJson(srv, [...setup.args, '-l', '127.0.0.1:8443']);
        const v4 = report.checks.get('loopback-routing-v4');
        assert.equal(v4?.status, 'ok', `${v4?.summary}\n${v4?.evidence.join('\n')}`);
        assert.ok(
          v4?.evidence.some((line) => setup.taker.test(line)),
          `no evidence line matches ${setup.taker}:\n${v4?.evidence.join('\n')}`,
        );
        const target = report.checks.get('target');
        if (target?.status !== 'skip') assert.equal(target?.status, 'ok', target?.summary);
        assert.equal(report.code, 0);
      });
    });
  }
});
