import { strictEqual } from 'node:assert/strict';
import { EventEmitter } from 'node:events';

import { ProxySignals } from '../../../src/proxy/signals.js';

describe('ProxySignals', () => {
  it('SIGHUP reloads each time; the first SIGTERM or SIGINT stops; a second one forces', async () => {
    const source = new EventEmitter();
    let reloads = 0;
    const signals = new ProxySignals(source, () => reloads++);
    source.emit('SIGHUP', 'SIGHUP');
    source.emit('SIGHUP', 'SIGHUP');
    strictEqual(reloads, 2);
    strictEqual(signals.forced, false);
    source.emit('SIGINT', 'SIGINT');
    strictEqual(await signals.stopRequested, 'SIGINT');
    strictEqual(signals.forced, false);
    source.emit('SIGTERM', 'SIGTERM');
    strictEqual(signals.forced, true);
    strictEqual(await signals.stopRequested, 'SIGINT');
  });

  it('dispose() removes every handler it added', () => {
    const source = new EventEmitter();
    const signals = new ProxySignals(source, () => undefined);
    strictEqual(source.listenerCount('SIGTERM') + source.listenerCount('SIGINT') + source.listenerCount('SIGHUP'), 3);
    signals.dispose();
    strictEqual(source.listenerCount('SIGTERM') + source.listenerCount('SIGINT') + source.listenerCount('SIGHUP'), 0);
  });
});
