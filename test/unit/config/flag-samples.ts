/** For each flag of the proxy: a value other than its default, and one its parser must refuse. */
import type { PROXY_FLAGS } from '../../../src/config/proxy-flags.js';

export type FlagName = keyof typeof PROXY_FLAGS;

/** A value other than the default for each flag, and one the parser must refuse (switches have none). */
export const SAMPLES: Record<FlagName, { value: string | null; bad?: string }> = {
  listen: { value: '[::]:2222', bad: 'localhost:2222' },
  target4: { value: '127.0.0.2:22', bad: '[::1]:22' },
  target6: { value: '[::1]:22', bad: '127.0.0.1:22' },
  protocol: { value: 'udp', bad: 'sctp' },
  mark: { value: '0x10', bad: '4294967296' },
  'allowed-subnets': { value: '/etc/mmproxy/lbs.txt', bad: ' ' },
  listeners: { value: '3', bad: '0' },
  'close-after': { value: '30', bad: 'soon' },
  verbose: { value: '2', bad: '-1' },
  'dynamic-destination': { value: null },
  'dynamic-destination-allow': { value: '192.0.2.0/24:443,[2001:db8::/32]:8000-8100', bad: '192.0.2.0/33' },
  'allow-local-clients': { value: null },
  'listen-transparent': { value: null },
  'reuse-port': { value: null },
  'header-timeout': { value: '2s', bad: '0' },
  'connect-timeout': { value: '2m', bad: 'soon' },
  keepalive: { value: '30s', bad: '1.5s' },
  'max-connections': { value: '100', bad: 'many' },
  'max-sessions': { value: '5', bad: '-5' },
  collision: { value: 'ephemeral-port', bad: 'ignore' },
  'relay-mode': { value: 'copy', bad: 'fast' },
  'fast-path': { value: 'auto', bad: 'on' },
  'fast-path-after': { value: '0', bad: '-1' },
  'udp-header': { value: 'spp', bad: 'sometimes' },
  'drain-timeout': { value: '1m', bad: 'never' },
  'log-format': { value: 'json', bad: 'xml' },
  'stats-socket': { value: '/run/mmproxy/x.sock', bad: '' },
  'metrics-listen': { value: '127.0.0.1:9100', bad: '9100' },
};
