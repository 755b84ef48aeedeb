/*
 * The kit's teardown guarantees: a lab leaves no namespace and no process behind when the test body throws,
 * and when the test process exits or is interrupted without destroying it.
 *
 *   ┌── h ──────────┐
 *   │ sleep 60      │   (one namespace, no links: only cleanup is under test)
 *   └───────────────┘
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommandLog } from '../../../lab/command-log.js';
import { HostProcess, Lab } from '../../../lab/index.js';
import { requireNetns } from '../support/index.js';

const ABANDONED_LAB = fileURLToPath(new URL('./fixtures/abandoned-lab.js', import.meta.url));

function listedNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5_000 })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '');
}

/** Alive and not a zombie (a zombie has already been killed; only its parent has not reaped it yet). */
function isAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('netns kit teardown', function () {
  before(function () {
    requireNetns(this);
  });

  it('destroys namespaces and processes of a lab whose test body threw', async function () {
    let namespaces: string[] = [];
    let sleeper: HostProcess | undefined;
    await assert.rejects(
      Lab.using('throws', async (lab) => {
        const host = await lab.host('h');
        sleeper = host.spawn(['sleep', '60']);
        namespaces = lab.namespaces;
        assert.ok(listedNamespaces().includes(host.ns), 'the namespace exists while the body runs');
        throw new Error('test body failed');
      }),
      /test body failed/,
    );
    assert.equal(namespaces.length, 1);
    assert.deepEqual(
      listedNamespaces().filter((ns) => namespaces.includes(ns)),
      [],
    );
    assert.equal(sleeper?.running, false);
    assert.equal(sleeper?.exitedWith?.signal, 'SIGTERM');
  });

  it('SIGKILLs a process that ignores SIGTERM, and kills what it left in the namespace', async function () {
    let shell: HostProcess | undefined;
    let orphan = 0;
    await Lab.using('stubborn', async (lab) => {
      const host = await lab.host('h');
      shell = host.spawn(['sh', '-c', 'trap "" TERM; sleep 60 & echo "child $!"; wait']);
      orphan = Number((await shell.waitForOutput(/^child (\d+)$/m))[1]);
      assert.ok(isAlive(orphan));
    });
    assert.equal(shell?.exitedWith?.signal, 'SIGKILL');
    assert.equal(isAlive(orphan), false, `pid ${orphan} (forked inside the namespace) survived teardown`);
  });

  for (const ending of ['exit', 'SIGTERM', 'SIGINT'] as const) {
    it(`cleans up a lab never destroyed when its process ends by ${ending}`, async function () {
      const child = new HostProcess([process.execPath, ABANDONED_LAB], new CommandLog('teardown-test'));
      try {
        const [, json] = (await child.waitForOutput(/^READY (.*)$/m, 10_000)) as [string, string];
        const made = JSON.parse(json) as { namespaces: string[]; pids: number[] };
        assert.ok(made.pids.every(isAlive), 'the lab process runs before the ending');
        child.kill(ending === 'exit' ? 'SIGUSR2' : ending);
        const status = await child.exited;
        assert.equal(status.code, { exit: 3, SIGTERM: 143, SIGINT: 130 }[ending], child.stderr);
        assert.deepEqual(
          listedNamespaces().filter((ns) => made.namespaces.includes(ns)),
          [],
        );
        assert.deepEqual(made.pids.filter(isAlive), []);
      } finally {
        await child.stop();
      }
    });
  }
});
