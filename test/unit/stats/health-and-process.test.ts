/**
 * What an exporter is expected to have (issue 16): the process metrics of every Prometheus client library,
 * /healthz and /readyz, and an exposition that Debian's promtool finds nothing to complain about.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';

import { renderMetrics } from '../../../src/stats/metrics.js';
import { startMetricsServer, type MetricsServer } from '../../../src/stats/metrics-server.js';
import { maxOpenFiles, statusBytes } from '../../../src/stats/process-metrics.js';
import type { ProxyHealth, StatsSource } from '../../../src/stats/source.js';
import { parseExposition, sampleValue } from '../../support/prometheus-parser.js';
import { requirePrerequisite } from '../../support/prerequisite.js';
import { PROMTOOL_MISSING, promtoolPath } from '../../support/promtool.js';
import { recordedSource } from '../../support/recorded-source.js';

describe('exporter conventions: process metrics, /healthz, /readyz, promtool', function () {
  it("carries the process metrics under the client libraries' names, read from /proc/self", function () {
    const families = parseExposition(renderMetrics(recordedSource(1_700_000_000_000)));
    const rss = sampleValue(families, 'process_resident_memory_bytes');
    const fds = sampleValue(families, 'process_open_fds');
    const maxFds = sampleValue(families, 'process_max_fds');
    assert.ok(rss !== undefined && rss > 10 * 1024 * 1024, `RSS ${rss}`);
    assert.ok(fds !== undefined && fds >= 3, `open fds ${fds}`);
    assert.ok(maxFds !== undefined && maxFds >= fds, `max fds ${maxFds}`);
    const started = sampleValue(families, 'process_start_time_seconds') ?? 0;
    assert.ok(Math.abs(started - (Date.now() / 1000 - process.uptime())) < 5, `start time ${started}`);
    assert.ok((sampleValue(families, 'process_cpu_seconds_total') ?? 0) > 0);
    assert.ok((sampleValue(families, 'process_virtual_memory_bytes') ?? 0) >= (rss ?? 0));
  });

  it('reads /proc/self/status and /proc/self/limits as the kernel writes them', function () {
    assert.equal(statusBytes('Name:\tnode\nVmRSS:\t   61234 kB\n', 'VmRSS'), 61234 * 1024);
    assert.equal(statusBytes('Name:\tnode\n', 'VmRSS'), null);
    const limits =
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
      'Max open files            20000                20000                files     \n';
    assert.equal(maxOpenFiles(limits), 20000);
    assert.equal(maxOpenFiles(limits.replace(/20000 {16}20000/, 'unlimited            unlimited')), null);
  });

  it('passes promtool check metrics without a warning', function () {
    const promtool = promtoolPath();
    requirePrerequisite(this, promtool ? null : PROMTOOL_MISSING);
    const result = spawnSync(promtool!, ['check', 'metrics'], {
      input: renderMetrics(recordedSource(1_700_000_000_000)),
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.equal(`${result.stdout}${result.stderr}`.trim(), '');
    assert.match(execFileSync(promtool!, ['--version'], { encoding: 'utf8' }), /promtool/);
  });

  describe('/healthz and /readyz', function () {
    let server: MetricsServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    async function answers(source: StatsSource): Promise<Record<string, [number, string]>> {
      server = await startMetricsServer({ listen: '127.0.0.1:0', source });
      const base = `http://127.0.0.1:${server.address.port}`;
      const result: Record<string, [number, string]> = {};
      for (const path of ['/healthz', '/readyz']) {
        const response = await fetch(`${base}${path}`);
        result[path] = [response.status, (await response.text()).trim()];
      }
      return result;
    }

    it('follow the proxy: starting (live, not ready), then serving (both)', async function () {
      const source = recordedSource(1_700_000_000_000);
      let health: ProxyHealth = { live: true, ready: false, detail: 'starting: tcp 0.0.0.0:8443 is bound' };
      source.health = () => health;
      assert.deepEqual(await answers(source), {
        '/healthz': [200, 'ok: starting: tcp 0.0.0.0:8443 is bound'],
        '/readyz': [503, 'not ok: starting: tcp 0.0.0.0:8443 is bound'],
      });
      await server?.close();
      health = { live: true, ready: true, detail: 'serving tcp 0.0.0.0:8443' };
      assert.deepEqual(await answers(source), {
        '/healthz': [200, 'ok: serving tcp 0.0.0.0:8443'],
        '/readyz': [200, 'ok: serving tcp 0.0.0.0:8443'],
      });
    });

    it('without a health view: both follow whether the data plane answers', async function () {
      const source = recordedSource(1_700_000_000_000);
      assert.equal((await answers(source))['/healthz']?.[0], 200);
      await server?.close();
      source.counters = () => {
        throw new Error('data plane closed');
      };
      const failing = await answers(source);
      assert.equal(failing['/healthz']?.[0], 503);
      assert.equal(failing['/readyz']?.[0], 503);
      assert.match(failing['/healthz']?.[1] ?? '', /does not answer: Error: data plane closed/);
    });
  });
});
