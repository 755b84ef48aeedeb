/** The config documented in docs/config.md is a valid config, with a port range and a UDP listener. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { parseConfigText } from '../../../src/config/config-file.js';

describe('the documented config', () => {
  it('docs/config.md: its complete example is a valid config', async () => {
    const markdown = await readFile('docs/config.md', 'utf8');
    const example = /```toml\n([\s\S]*?)```/.exec(markdown)?.[1];
    assert.ok(example, 'docs/config.md has a ```toml example');
    const { config } = parseConfigText(example, 'docs/config.md');
    assert.ok(
      config.listeners.some((listener) => listener.listen.lastPort > listener.listen.port),
      'shows a port range',
    );
    assert.ok(
      config.listeners.some((listener) => listener.protocol === 'udp'),
      'shows a UDP listener',
    );
  });
});
