import { deepStrictEqual, match, strictEqual } from 'node:assert/strict';

import { anyPeerExposure, describeConfig, toDataPlaneConfig } from '../../../src/proxy/config.js';
import { startFailureMessage } from '../../../src/proxy/start-errors.js';
import { parseFlags } from '../config/parse-flags.js';

describe('data plane config from the options', () => {
  it('carries every option across the contract', () => {
    const options = parseFlags([
      '-l',
      '[::]:2222',
      '-4',
      '127.0.0.1:22',
      '-6',
      '[::1]:22',
      '-mark',
      '7',
      '-listeners',
      '3',
      '-close-after',
      '9',
      '-dynamic-destination',
      '-listen-transparent',
      '--header-timeout',
      '2s',
      '--connect-timeout',
      '750ms',
      '--max-connections',
      '100',
      '--max-sessions',
      '500',
      '--reuse-port',
      '--keepalive',
      '20',
      '--collision',
      'ephemeral-port',
      '--relay-mode',
      'copy',
      '--fast-path-after',
      '200',
      '--udp-header',
      'first',
      '--dynamic-destination-allow',
      '192.0.2.0/24:443, [2001:db8::7]:8000-8100',
      '--allow-local-clients',
    ]);
    deepStrictEqual(toDataPlaneConfig(options, ['192.0.2.0/24']), {
      protocol: 'tcp',
      listen: { family: 6, address: '::', port: 2222 },
      target4: { family: 4, address: '127.0.0.1', port: 22 },
      target6: { family: 6, address: '::1', port: 22 },
      mark: 7,
      allowedSubnets: ['192.0.2.0/24'],
      listeners: 3,
      headerTimeoutMs: 2000,
      connectTimeoutMs: 750,
      keepAliveSeconds: 20,
      maxConnections: 100,
      dynamicDestination: true,
      dynamicDestinationAllow: [
        { prefix: '192.0.2.0/24', firstPort: 443, lastPort: 443 },
        { prefix: '2001:db8::7/128', firstPort: 8000, lastPort: 8100 },
      ],
      allowLocalClients: true,
      listenTransparent: true,
      reusePort: true,
      closeAfterSeconds: 9,
      maxSessions: 500,
      collision: 'ephemeral-port',
      relayMode: 'copy',
      fastPath: 'off',
      fastPathAfterReads: 200,
      udpHeader: 'first',
      debugEvents: false,
    });
  });

  it("warns at start, in the doctor's words, when any peer may send headers beyond loopback", () => {
    const open = toDataPlaneConfig(parseFlags(['-l', '0.0.0.0:2222']), []);
    strictEqual(
      anyPeerExposure(open, null),
      'listening on 0.0.0.0:2222 with no -allowed-subnets: anyone who reaches the port can send a PROXY header ' +
        'naming any client address, and the app will see that address as the client ' +
        '(list the load balancers with -allowed-subnets FILE)',
    );
    strictEqual(anyPeerExposure(open, '/etc/lbs.txt'), null);
    strictEqual(anyPeerExposure(toDataPlaneConfig(parseFlags(['-l', '127.0.0.1:2222']), []), null), null);
    strictEqual(anyPeerExposure(toDataPlaneConfig(parseFlags(['-l', '[::1]:2222']), []), null), null);
  });

  it('asks for debug events only when -v 2 shows them', () => {
    strictEqual(toDataPlaneConfig(parseFlags(['-v', '1']), []).debugEvents, false);
    strictEqual(toDataPlaneConfig(parseFlags(['-v', '2']), []).debugEvents, true);
  });

  it('the startup line says where it listens and where each family goes', () => {
    const options = parseFlags(['-l', '0.0.0.0:2222', '-4', '127.0.0.1:22', '-6', '[::1]:22', '-listeners', '2']);
    strictEqual(
      describeConfig(toDataPlaneConfig(options, []), null),
      'listening on 0.0.0.0:2222 (tcp, 2 listeners), forwarding IPv4 clients to 127.0.0.1:22, ' +
        'IPv6 clients to [::1]:22; accepting any peer',
    );
    const dynamic = parseFlags(['-dynamic-destination', '-listeners', '1']);
    strictEqual(
      describeConfig(toDataPlaneConfig(dynamic, ['192.0.2.0/24']), '/etc/lbs.txt'),
      "listening on 0.0.0.0:8443 (tcp, 1 listener), forwarding to each PROXY header's destination in this host; " +
        'accepting 1 allowed subnet from /etc/lbs.txt',
    );
    const limited = parseFlags([
      '-dynamic-destination',
      '--dynamic-destination-allow',
      '192.0.2.0/24:443',
      '-listeners',
      '1',
    ]);
    strictEqual(
      describeConfig(toDataPlaneConfig(limited, []), null),
      "listening on 0.0.0.0:8443 (tcp, 1 listener), forwarding to each PROXY header's destination in 192.0.2.0/24:443; " +
        'accepting any peer',
    );
  });

  it("a start failure keeps the data plane's message and says what to do", () => {
    const failure = (code: string): Error =>
      Object.assign(new Error('cannot listen on 192.0.2.2:8443: bind: some reason'), { code });
    strictEqual(
      startFailureMessage(failure('EADDRINUSE')),
      'cannot listen on 192.0.2.2:8443: bind: some reason: another program already listens there (another mmproxy?); ' +
        'stop it, pick another -l, or pass --reuse-port to share the port with another mmproxy during a hand-over restart',
    );
    match(startFailureMessage(failure('EADDRNOTAVAIL')), /: no interface has that address; use -listen-transparent/);
    match(startFailureMessage(failure('EPERM')), /: mmproxy needs CAP_NET_ADMIN \(IP_TRANSPARENT, SO_MARK\)/);
    match(startFailureMessage(failure('EACCES')), /: listening below port 1024 needs CAP_NET_BIND_SERVICE/);
    strictEqual(startFailureMessage(new Error('odd')), 'the data plane did not start: odd');
  });
});
