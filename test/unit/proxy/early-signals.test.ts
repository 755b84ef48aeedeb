import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';

import { runsProxy, SignalBuffer } from '../../../src/proxy/early-signals.js';
import { ProxySignals } from '../../../src/proxy/signals.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('signals held from the first moment (issue 14)', () => {
  it('holds a SIGHUP sent before the proxy listens, and reloads once it does', async () => {
    // Given signals arriving while the proxy still loads
    const process = new EventEmitter();
    const buffer = new SignalBuffer(process);
    process.emit('SIGHUP', 'SIGHUP');
    process.emit('SIGHUP', 'SIGHUP');
    assert.deepEqual(buffer.pending, ['SIGHUP', 'SIGHUP']);
    // When the proxy installs its handlers
    let reloads = 0;
    const signals = new ProxySignals(buffer, () => reloads++);
    await turn();
    // Then each held SIGHUP is a reload, and later ones go straight through
    assert.equal(reloads, 2);
    process.emit('SIGHUP', 'SIGHUP');
    assert.equal(reloads, 3);
    assert.deepEqual(buffer.pending, []);
    signals.dispose();
  });

  it('an early SIGTERM stops the proxy as soon as it listens; a SIGHUP before it is kept in order', async () => {
    const process = new EventEmitter();
    const buffer = new SignalBuffer(process);
    process.emit('SIGHUP', 'SIGHUP');
    process.emit('SIGTERM', 'SIGTERM');
    let reloads = 0;
    const signals = new ProxySignals(buffer, () => reloads++);
    assert.equal(await signals.stopRequested, 'SIGTERM');
    assert.equal(signals.forced, false);
    assert.equal(reloads, 1);
  });

  it('dispose() hands the signals back to the process', () => {
    const process = new EventEmitter();
    const buffer = new SignalBuffer(process);
    assert.equal(
      process.listenerCount('SIGTERM') + process.listenerCount('SIGINT') + process.listenerCount('SIGHUP'),
      3,
    );
    buffer.dispose();
    assert.equal(
      process.listenerCount('SIGTERM') + process.listenerCount('SIGINT') + process.listenerCount('SIGHUP'),
      0,
    );
  });

  it('is for the proxy command only: flags first, or nothing', () => {
    assert.equal(runsProxy([]), true);
    assert.equal(runsProxy(['-l', '0.0.0.0:80']), true);
    assert.equal(runsProxy(['--config', 'x.toml']), true);
    assert.equal(runsProxy(['top']), false);
    assert.equal(runsProxy(['doctor', '-l', '0.0.0.0:80']), false);
  });
});
