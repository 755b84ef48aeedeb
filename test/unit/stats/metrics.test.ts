import assert from 'node:assert/strict';

import { metricFamilies, parseListenAddress, renderMetrics, startMetricsServer, type MetricsServer } from '../../../src/stats/metrics.js';
import { escapeLabelValue, renderExposition } from '../../../src/stats/prometheus.js';
import { parseExposition, sampleValue } from '../../support/prometheus-parser.js';
import { recordedCounters, recordedSource, zeroFailures } from '../../support/recorded-source.js';

describe('Prometheus metrics', () => {
  function trafficSource(): ReturnType<typeof recordedSource> {
    const source = recordedSource(1_700_000_000_000);
    source.current.counters = recordedCounters({
      accepted: 12,
      established: 9,
      active: 3,
      completed: 6,
      failures: { ...zeroFailures(), connect_timeout: 2, bad_header: 1 },
      badHeaders: { ERR_V1_TOO_LONG: 1 },
      bytesToTarget: 123_456,
      bytesToClient: 654_321,
    });
    return source;
  }

  it('exposes the counters under their conventional names, with HELP and TYPE', () => {
    // Given a proxy's counters, when rendered and parsed as a scraper would
    const families = parseExposition(renderMetrics(trafficSource()));
    // Then every value is there, typed
    assert.equal(sampleValue(families, 'mmproxy_bytes_total', { direction: 'to_target' }), 123_456);
    assert.equal(sampleValue(families, 'mmproxy_bytes_total', { direction: 'to_client' }), 654_321);
    assert.equal(sampleValue(families, 'mmproxy_connections_total', { result: 'completed' }), 6);
    assert.equal(sampleValue(families, 'mmproxy_connections_total', { result: 'connect_timeout' }), 2);
    assert.equal(sampleValue(families, 'mmproxy_connections_total', { result: 'not_allowed' }), 0);
    assert.equal(sampleValue(families, 'mmproxy_connections_accepted_total'), 12);
    assert.equal(sampleValue(families, 'mmproxy_active_flows'), 3);
    assert.equal(sampleValue(families, 'mmproxy_bad_headers_total', { code: 'ERR_V1_TOO_LONG' }), 1);
    assert.equal(sampleValue(families, 'mmproxy_start_time_seconds'), 1_700_000_000);
    assert.equal(sampleValue(families, 'mmproxy_info', { protocol: 'tcp', listen: '0.0.0.0:8443' }), 1);
    for (const [name, family] of families) {
      assert.ok(family.help, `${name} has HELP`);
      assert.equal(family.type, name.endsWith('_total') ? 'counter' : 'gauge', `${name} TYPE`);
    }
  });

  it('does not invent a connect-duration histogram the data plane cannot measure', () => {
    const families = metricFamilies(trafficSource().summary, trafficSource().counters());
    assert.ok(!families.some((family) => family.name === 'mmproxy_connect_duration_seconds'));
  });

  it('escapes label values and help text so they parse back unchanged', () => {
    const awkward = 'back\\slash "quoted"\nnew line';
    const text = renderExposition([
      { name: 'x_total', help: 'help with \\ and\nnewline', type: 'counter', samples: [{ labels: { code: awkward }, value: 1 }] },
    ]);
    assert.equal(escapeLabelValue('a"b'), 'a\\"b');
    const family = parseExposition(text).get('x_total')!;
    assert.equal(family.help, 'help with \\ and\nnewline');
    assert.equal(family.samples[0]!.labels['code'], awkward);
    assert.equal(text.split('\n').length, 4, 'one line each for HELP, TYPE, the sample, and the final newline');
  });

  it('refuses names a scraper would reject', () => {
    assert.throws(() => renderExposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }]), /invalid Prometheus metric name/);
    assert.throws(
      () => renderExposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }]),
      /invalid Prometheus label name/,
    );
  });

  it('parses listen addresses the way go-mmproxy users write them', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:9100'), { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(parseListenAddress('[::1]:9100'), { host: '::1', port: 9100 });
    assert.deepEqual(parseListenAddress(':9100'), { host: undefined, port: 9100 });
    assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
    for (const bad of ['9100', '127.0.0.1', '1.2.3.4:99999', '::1:9100', '']) {
      assert.throws(() => parseListenAddress(bad), /expected HOST:PORT/, bad);
    }
  });

  describe('over HTTP', () => {
    let server: MetricsServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it('serves /metrics with the Prometheus content type, read fresh on every scrape', async () => {
      const source = trafficSource();
      server = await startMetricsServer({ listen: '127.0.0.1:0', source });
      const url = `http://127.0.0.1:${server.address.port}/metrics`;
      const first = await fetch(url);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(sampleValue(parseExposition(await first.text()), 'mmproxy_active_flows'), 3);
      source.current.counters.active = 5;
      assert.equal(sampleValue(parseExposition(await (await fetch(url)).text()), 'mmproxy_active_flows'), 5);
    });

    it('answers other paths with 404, other methods with 405, and a failing source with 503', async () => {
      const source = trafficSource();
      server = await startMetricsServer({ listen: '127.0.0.1:0', source });
      const base = `http://127.0.0.1:${server.address.port}`;
      assert.equal((await fetch(`${base}/`)).status, 404);
      assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
      source.counters = () => {
        throw new Error('data plane closed');
      };
      const failed = await fetch(`${base}/metrics`);
      assert.equal(failed.status, 503);
      assert.match(await failed.text(), /data plane closed/);
    });
  });
});
