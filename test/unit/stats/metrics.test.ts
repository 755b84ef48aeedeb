import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';

import { buildInfo } from '../../../src/base/package-info.js';
import { renderMetrics } from '../../../src/stats/metrics.js';
import { MAX_CONNECTIONS, startMetricsServer, type MetricsServer } from '../../../src/stats/metrics-server.js';
import { escapeLabelValue, histogramSamples, renderExposition } from '../../../src/stats/prometheus.js';
import { parseExposition, sampleValue, type ParsedFamily } from '../../support/prometheus-parser.js';
import {
  recordedConnectDurations,
  recordedCounters,
  recordedSource,
  zeroFailures,
} from '../../support/recorded-source.js';
import { waitFor } from '../../support/wait-for.js';

describe('Prometheus metrics', () => {
  function trafficSource(): ReturnType<typeof recordedSource> {
    const source = recordedSource(1_700_000_000_000);
    source.current.counters = recordedCounters({
      accepted: 12,
      established: 9,
      active: 3,
      completed: 6,
      failures: { ...zeroFailures(), connect_timeout: 2, bad_header: 1, address_in_use: 4 },
      badHeaders: { ERR_V1_TOO_LONG: 1 },
      collisionFallbacks: 5,
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
    assert.equal(sampleValue(families, 'mmproxy_connections_total', { result: 'address_in_use' }), 4);
    assert.equal(sampleValue(families, 'mmproxy_collision_fallbacks_total'), 5);
    assert.equal(sampleValue(families, 'mmproxy_connections_accepted_total'), 12);
    assert.equal(sampleValue(families, 'mmproxy_active_flows'), 3);
    assert.equal(sampleValue(families, 'mmproxy_bad_headers_total', { code: 'ERR_V1_TOO_LONG' }), 1);
    assert.equal(sampleValue(families, 'mmproxy_start_time_seconds'), 1_700_000_000);
    assert.equal(sampleValue(families, 'mmproxy_info', { protocol: 'tcp', listen: '0.0.0.0:8443' }), 1);
    const { version, commit, node } = buildInfo();
    assert.equal(sampleValue(families, 'mmproxy_build_info', { version, commit: commit ?? 'unknown', node }), 1);
    for (const [name, family] of families) {
      assert.ok(family.help, `${name} has HELP`);
      const expected =
        name === 'mmproxy_connect_duration_seconds' ? 'histogram' : name.endsWith('_total') ? 'counter' : 'gauge';
      assert.equal(family.type, expected, `${name} TYPE`);
    }
  });

  it('counts the errors the last-resort handler survived, 0 without one (issue 14)', () => {
    const source = trafficSource();
    assert.equal(sampleValue(parseExposition(renderMetrics(source)), 'mmproxy_internal_errors_total'), 0);
    source.internalErrors = () => 2;
    assert.equal(sampleValue(parseExposition(renderMetrics(source)), 'mmproxy_internal_errors_total'), 2);
  });

  it('a UDP proxy also says its --udp-header mode and the datagrams by header; a TCP one does not', () => {
    const source = trafficSource();
    source.summary = { ...source.summary, protocol: 'udp', config: { ...source.summary.config, udpHeader: 'first' } };
    source.current.counters.udpHeaders = {
      datagrams: { proxyV2: 7, spp: 0, bare: 70 },
      headerlessDropped: 2,
      sppSessions: 0,
      headerChanges: 1,
    };
    const families = parseExposition(renderMetrics(source));
    assert.equal(sampleValue(families, 'mmproxy_udp_header_mode', { mode: 'first' }), 1);
    assert.equal(sampleValue(families, 'mmproxy_udp_datagrams_total', { header: 'proxy_v2' }), 7);
    assert.equal(sampleValue(families, 'mmproxy_udp_datagrams_total', { header: 'bare' }), 70);
    assert.equal(sampleValue(families, 'mmproxy_udp_headerless_dropped_total'), 2);
    assert.equal(sampleValue(families, 'mmproxy_udp_header_changes_total'), 1);
    assert.equal(sampleValue(families, 'mmproxy_udp_spp_sessions_total'), 0);
    const tcp = parseExposition(renderMetrics(trafficSource()));
    assert.ok(![...tcp.keys()].some((name) => name.startsWith('mmproxy_udp_')), 'no UDP families for TCP');
  });

  describe('mmproxy_connect_duration_seconds', () => {
    // 2 connects within 0.1 ms, 3 within 1 ms, 1 at 2.5 ms, 1 beyond 5 s
    const counts = [2, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    function histogram(): ParsedFamily {
      const source = trafficSource();
      source.current.counters.connectDurations = recordedConnectDurations(counts, 7.5);
      return parseExposition(renderMetrics(source)).get('mmproxy_connect_duration_seconds')!;
    }
    const buckets = (family: ParsedFamily) => family.samples.filter((sample) => sample.name.endsWith('_bucket'));

    it('is a histogram with cumulative buckets in seconds, +Inf last', () => {
      const family = histogram();
      assert.equal(family.type, 'histogram');
      assert.ok(family.help);
      const bounds = buckets(family).map((sample) => sample.labels['le']);
      assert.deepEqual(bounds, [
        '0.0001',
        '0.00025',
        '0.0005',
        '0.001',
        '0.0025',
        '0.005',
        '0.01',
        '0.025',
        '0.05',
        '0.1',
        '0.25',
        '0.5',
        '1',
        '2.5',
        '5',
        '+Inf',
      ]);
      const values = buckets(family).map((sample) => sample.value);
      assert.deepEqual(
        values.slice(0, 6),
        [2, 2, 2, 5, 6, 6],
        'each bucket counts every connect at or below its bound',
      );
      values.forEach((value, i) =>
        assert.ok(i === 0 || value >= values[i - 1]!, `bucket ${i} is not below the one before`),
      );
    });

    it('has _count equal to the +Inf bucket, and _sum in seconds', () => {
      const family = histogram();
      const names = family.samples.map((sample) => sample.name);
      assert.deepEqual(names.slice(-2), [
        'mmproxy_connect_duration_seconds_sum',
        'mmproxy_connect_duration_seconds_count',
      ]);
      const families = new Map([['mmproxy_connect_duration_seconds', family]]);
      const count = sampleValue(families, 'mmproxy_connect_duration_seconds_count');
      assert.equal(count, 7);
      assert.equal(sampleValue(families, 'mmproxy_connect_duration_seconds_bucket', { le: '+Inf' }), count);
      assert.equal(sampleValue(families, 'mmproxy_connect_duration_seconds_sum'), 7.5);
    });

    it('is present, all zero, before any connect', () => {
      const families = parseExposition(renderMetrics(recordedSource()));
      assert.equal(sampleValue(families, 'mmproxy_connect_duration_seconds_count'), 0);
      assert.equal(sampleValue(families, 'mmproxy_connect_duration_seconds_bucket', { le: '+Inf' }), 0);
    });

    it('refuses bucket counts that do not match the bounds', () => {
      assert.throws(() => histogramSamples([0.1, 1], [1, 2], 0), /2 bounds needs 3 bucket counts, got 2/);
    });
  });

  it('escapes label values and help text so they parse back unchanged', () => {
    const awkward = 'back\\slash "quoted"\nnew line';
    const text = renderExposition([
      {
        name: 'x_total',
        help: 'help with \\ and\nnewline',
        type: 'counter',
        samples: [{ labels: { code: awkward }, value: 1 }],
      },
    ]);
    assert.equal(escapeLabelValue('a"b'), 'a\\"b');
    const family = parseExposition(text).get('x_total')!;
    assert.equal(family.help, 'help with \\ and\nnewline');
    assert.equal(family.samples[0]!.labels['code'], awkward);
    assert.equal(text.split('\n').length, 4, 'one line each for HELP, TYPE, the sample, and the final newline');
  });

  it('refuses names a scraper would reject', () => {
    assert.throws(
      () => renderExposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }]),
      /invalid Prometheus metric name/,
    );
    assert.throws(
      () =>
        renderExposition([
          { name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] },
        ]),
      /invalid Prometheus label name/,
    );
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

    describe('for whoever can reach it (issue 14)', () => {
      /** Sends `text` as is on a new connection; resolves with all the server sent before it closed. */
      function raw(text: string | Buffer, keepOpen = false): Promise<string> {
        return new Promise((resolve, reject) => {
          const socket = connect(server!.address.port, '127.0.0.1');
          let received = '';
          socket.setEncoding('latin1');
          socket.on('data', (chunk: string) => {
            received += chunk;
            if (!keepOpen && /\r\n\r\n/.test(received)) socket.end();
          });
          // A reset is the server closing on a request it did not read: what it sent before still counts.
          socket.on('error', (error: NodeJS.ErrnoException) =>
            error.code === 'ECONNRESET' ? resolve(received) : reject(error),
          );
          socket.on('close', () => resolve(received));
          socket.write(text);
        });
      }
      const status = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

      it('answers GET // with 404 and keeps serving (it used to throw and kill the process)', async () => {
        server = await startMetricsServer({ listen: '127.0.0.1:0', source: trafficSource() });
        assert.equal(status(await raw('GET // HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')), 404);
        assert.equal(status(await raw('GET //x:y@ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')), 404);
        assert.equal(status(await raw('GET * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')), 404);
        assert.equal(status(await raw('GET /metrics?x=%zz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')), 200);
        assert.equal((await fetch(`http://127.0.0.1:${server.address.port}/metrics`)).status, 200);
      });

      it('turns away garbage, oversized heads and bodies, and still serves', async () => {
        server = await startMetricsServer({ listen: '127.0.0.1:0', source: trafficSource() });
        assert.equal(status(await raw(Buffer.from([0, 1, 2, 0xff, 13, 10, 13, 10]))), 400);
        assert.equal(status(await raw(`GET /metrics HTTP/1.1\r\nx: ${'a'.repeat(20_000)}\r\n\r\n`)), 431);
        const withBody = 'GET /metrics HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello';
        assert.equal(status(await raw(withBody)), 413);
        assert.equal(status(await raw('DELETE /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')), 405);
        assert.equal((await fetch(`http://127.0.0.1:${server.address.port}/metrics`)).status, 200);
      });

      it(`holds at most ${MAX_CONNECTIONS} connections: the next is closed at once, and serving resumes after`, async () => {
        server = await startMetricsServer({ listen: '127.0.0.1:0', source: trafficSource() });
        const held = await Promise.all(
          Array.from(
            { length: MAX_CONNECTIONS },
            () =>
              new Promise<Socket>((resolve, reject) => {
                const socket = connect(server!.address.port, '127.0.0.1', () => resolve(socket));
                socket.on('error', reject);
              }),
          ),
        );
        // Accepted in order: this one comes after the held ones and finds the server full.
        assert.equal(await raw('GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n', true), '');
        for (const socket of held) socket.destroy();
        await waitFor(
          'a scrape to get through again',
          async () =>
            (await fetch(`http://127.0.0.1:${server!.address.port}/metrics`).catch(() => undefined))?.status === 200,
        );
      });

      it('answers a request head that never ends with 408 and closes it within seconds (Node waits 60 s)', async function () {
        this.timeout(30_000);
        server = await startMetricsServer({ listen: '127.0.0.1:0', source: trafficSource() });
        const stillOpen = new Promise<string>((resolve) =>
          setTimeout(() => resolve('still open after 15 s'), 15_000).unref(),
        );
        const answer = await Promise.race([raw('GET /metrics HTTP/1.1\r\nhost: x\r\n', true), stillOpen]);
        assert.equal(status(answer), 408);
      });

      it('binds loopback for :PORT, and only there', async () => {
        server = await startMetricsServer({ listen: ':0', source: trafficSource() });
        assert.equal(server.address.address, '127.0.0.1');
      });
    });
  });
});
