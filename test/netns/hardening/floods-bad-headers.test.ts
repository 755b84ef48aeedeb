/*
 * A flood of malformed PROXY headers at the real mmproxy CLI: each connection is closed and counted under its
 * parser code, exactly, while the log shows a handful of lines and a count of the ones held back (the shape of
 * the refused-connections flood in ../proxy-lifecycle.test.ts). Network: ./floods-lab.ts.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { MALFORMED } from '../dataplane/harness/headers.js';
import { floodLogged, jsonLogLines } from '../proxy/helpers/log-lines.js';
import { stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP } from './helpers/floods-lab.js';
import { useFloodLab } from './helpers/use-flood-lab.js';

const CLIENT = fileURLToPath(new URL('./helpers/bad-header-client.js', import.meta.url));
const FLOOD = 5_000;

describe('floods: 5,000 malformed PROXY headers at the mmproxy CLI (network namespaces)', function () {
  this.timeout(120_000);
  const t = useFloodLab('fldbad');

  it('counts every one under its parser code and logs a few lines and a count', async function () {
    const port = t().port();
    const proxy = await t().mmproxy(port, ['--log-format', 'json']);
    const headers = MALFORMED.map((kind) => kind.header.toString('hex')).join(',');
    const client = t().track(
      t().lb.node(CLIENT, [
        '--connect',
        `${APP}:${port}`,
        '--headers-hex',
        headers,
        '--count',
        String(FLOOD),
        '--parallel',
        '100',
        '--timeout-ms',
        '90000',
      ]),
    );
    const status = await client.exited;
    assert.equal(status.code, 0, `not every connection was closed by mmproxy: ${client.stdout}${client.stderr}`);

    const { counters } = await t().waitForSnapshot(port, 'idle', (s) => s.counters.active === 0);
    const expected = Object.fromEntries(
      MALFORMED.map(({ code }, k) => [code, Math.ceil((FLOOD - k) / MALFORMED.length)]),
    );
    const counted = Object.fromEntries(Object.entries(counters.badHeaders).filter(([, n]) => n > 0));
    assert.deepEqual(counted, expected, 'each malformation counted under its code');
    assert.equal(counters.failures.bad_header, FLOOD);
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });

    const lines = jsonLogLines(proxy.stderr);
    // The closing line comes last, after every event the data plane sent, with the lifetime counter.
    assert.deepEqual([lines.at(-1)?.kind, lines.at(-1)?.['failed_bad_header']], ['stopped', FLOOD]);
    const { shown, suppressed } = floodLogged(lines, 'bad_header');
    const summaries = lines.filter((line) => line.kind === 'bad_header' && line.suppressed !== undefined).length;
    console.log(
      `      bad headers: ${FLOOD} connections (${MALFORMED.length} kinds of malformation) → ${shown} lines shown, ` +
        `${summaries} summary lines counting ${suppressed} more; ${lines.length} log lines in all; counters ${JSON.stringify(counted)}`,
    );
    assert.equal(shown + suppressed, FLOOD, 'every bad header either shown or counted');
    assert.ok(suppressed > 0, 'the flood was rate-limited');
    assert.ok(shown < FLOOD / 10, `${shown} lines for ${FLOOD} bad headers`);
  });
});
