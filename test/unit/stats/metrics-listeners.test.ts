/**
 * /metrics of a process with many listeners (issue 17): what a data plane counts has one series per listener,
 * labelled with its name; what belongs to the process has none; a listener a reload removed leaves the
 * exposition; promtool finds nothing to complain about.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { renderMetrics } from '../../../src/stats/metrics.js';
import { parseExposition, sampleValue } from '../../support/prometheus-parser.js';
import { requirePrerequisite } from '../../support/prerequisite.js';
import { PROMTOOL_MISSING, promtoolPath } from '../../support/promtool.js';
import {
  recordedConnectDurations,
  recordedCounters,
  recordedListener,
  recordedListenerSource,
  recordedSource,
  zeroFailures,
} from '../../support/recorded-source.js';

/** Families a process has once, whatever its listeners. */
const PROCESS_WIDE = /^(process_|mmproxy_build_info$|mmproxy_start_time_seconds$|mmproxy_internal_errors_total$)/;

function twoListeners() {
  const web = recordedListener('web', 8443, { lastPort: 8450 });
  web.current.counters = recordedCounters({
    accepted: 7,
    active: 2,
    bytesToTarget: 700,
    failures: { ...zeroFailures(), connect_timeout: 3 },
    badHeaders: { ERR_V1_TOO_LONG: 1 },
    connectDurations: recordedConnectDurations([4], 0.0004),
  });
  const dns = recordedListener('dns.udp', 5353, {
    protocol: 'udp',
    listen: { family: 6, address: '2001:db8::1', port: 5353 },
    config: { ...recordedSource().summary.config, udpHeader: 'first' },
  });
  dns.current.counters = recordedCounters({ accepted: 1, bytesToClient: 90 });
  dns.current.counters.udpHeaders.datagrams.bare = 12;
  const listeners = [web, dns];
  return { listeners, source: recordedListenerSource(listeners, 1_700_000_000_000) };
}

describe('Prometheus metrics of several listeners', () => {
  it('labels every data-plane series with its listener, one series per listener', () => {
    // Given two listeners, when scraped
    const families = parseExposition(renderMetrics(twoListeners().source));
    // Then each has its own values under listener="name"
    assert.equal(sampleValue(families, 'mmproxy_connections_accepted_total', { listener: 'web' }), 7);
    assert.equal(sampleValue(families, 'mmproxy_connections_accepted_total', { listener: 'dns.udp' }), 1);
    assert.equal(sampleValue(families, 'mmproxy_active_flows', { listener: 'web' }), 2);
    assert.equal(sampleValue(families, 'mmproxy_bytes_total', { listener: 'web', direction: 'to_target' }), 700);
    assert.equal(sampleValue(families, 'mmproxy_bytes_total', { listener: 'dns.udp', direction: 'to_client' }), 90);
    assert.equal(sampleValue(families, 'mmproxy_connections_total', { listener: 'web', result: 'connect_timeout' }), 3);
    assert.equal(sampleValue(families, 'mmproxy_bad_headers_total', { listener: 'web', code: 'ERR_V1_TOO_LONG' }), 1);
    assert.equal(sampleValue(families, 'mmproxy_connect_duration_seconds_count', { listener: 'web' }), 4);
    assert.equal(sampleValue(families, 'mmproxy_connect_duration_seconds_count', { listener: 'dns.udp' }), 0);
    // And mmproxy_info says what each listens on, port range included
    assert.equal(
      sampleValue(families, 'mmproxy_info', {
        listener: 'web',
        protocol: 'tcp',
        listen: '192.0.2.1:8443',
        last_port: '8450',
      }),
      1,
    );
    assert.equal(
      sampleValue(families, 'mmproxy_info', { listener: 'dns.udp', listen: '[2001:db8::1]:5353', last_port: '5353' }),
      1,
    );
    // And UDP families exist for the UDP listener only
    assert.equal(sampleValue(families, 'mmproxy_udp_header_mode', { listener: 'dns.udp', mode: 'first' }), 1);
    assert.equal(sampleValue(families, 'mmproxy_udp_datagrams_total', { listener: 'dns.udp', header: 'bare' }), 12);
    assert.ok(!families.get('mmproxy_udp_header_mode')!.samples.some((sample) => sample.labels['listener'] === 'web'));
    // And every sample is labelled with a listener exactly where the family is not the process's
    for (const [name, family] of families) {
      for (const sample of family.samples) {
        const labelled = 'listener' in sample.labels;
        assert.equal(labelled, !PROCESS_WIDE.test(name), `${sample.name} ${JSON.stringify(sample.labels)}`);
      }
    }
  });

  it("drops a removed listener's series from the next scrape", () => {
    const { listeners, source } = twoListeners();
    listeners.splice(0, 1);
    const text = renderMetrics(source);
    assert.ok(!text.includes('listener="web"'), text);
    assert.equal(sampleValue(parseExposition(text), 'mmproxy_active_flows', { listener: 'dns.udp' }), 0);
  });

  it('labels a command-line proxy (no listeners in its source) as the listener default', () => {
    const families = parseExposition(renderMetrics(recordedSource(1_700_000_000_000)));
    assert.equal(sampleValue(families, 'mmproxy_active_flows', { listener: 'default' }), 0);
    assert.equal(sampleValue(families, 'mmproxy_info', { listener: 'default', last_port: '8443' }), 1);
  });

  it('passes promtool check metrics without a warning', function () {
    const promtool = promtoolPath();
    requirePrerequisite(this, promtool ? null : PROMTOOL_MISSING);
    const result = spawnSync(promtool!, ['check', 'metrics'], {
      input: renderMetrics(twoListeners().source),
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.equal(`${result.stdout}${result.stderr}`.trim(), '');
  });
});
