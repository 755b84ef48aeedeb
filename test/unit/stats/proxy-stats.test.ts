import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requestSnapshot } from '../../../src/stats/client.js';
import { startProxyStats } from '../../../src/stats/proxy-stats.js';
import { parseExposition, sampleValue } from '../../support/prometheus-parser.js';
import { recordedSource } from '../../support/recorded-source.js';

describe('the proxy stats endpoints together', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-proxy-stats-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('serves the socket and /metrics from one source, and closes both', async () => {
    const source = recordedSource();
    source.current.counters.active = 4;
    const path = join(dir, 'p.sock');
    const stats = await startProxyStats({ statsSocket: path, metricsListen: '127.0.0.1:0' }, source, assert.fail);
    assert.equal(stats.statsSocket, path);
    assert.equal((await requestSnapshot(path)).counters.active, 4);
    const scraped = parseExposition(await (await fetch(`http://${stats.metricsAddress}/metrics`)).text());
    assert.equal(sampleValue(scraped, 'mmproxy_active_flows'), 4);
    await stats.close();
    await assert.rejects(requestSnapshot(path), { code: 'not_running' });
    await assert.rejects(fetch(`http://${stats.metricsAddress}/metrics`));
  });

  it('fails with the flag named when a requested socket or address cannot be used', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    await assert.rejects(
      startProxyStats({ statsSocket: file, metricsListen: null }, recordedSource(), assert.fail),
      /^Error: --stats-socket .*a-file: .*exists and is not a socket/,
    );
    await assert.rejects(
      startProxyStats({ statsSocket: join(dir, 'typo', 'p.sock'), metricsListen: null }, recordedSource(), assert.fail),
      /^Error: --stats-socket .*typo\/p\.sock: the directory .*typo does not exist/,
    );
    await assert.rejects(
      startProxyStats({ statsSocket: join(dir, 'ok.sock'), metricsListen: 'nonsense' }, recordedSource(), assert.fail),
      /^Error: --metrics-listen nonsense: .*expected HOST:PORT/,
    );
  });
});
