import type { Lab } from './lab.js';

/**
 * For an afterEach hook: when the test just failed, print the lab's command log (every command, its exit,
 * and so far the processes' output) so the failure can be read without re-running.
 *   afterEach(function () { printLabLogOnFailure(this, lab); });
 */
export function printLabLogOnFailure(context: Mocha.Context, lab: Lab | undefined): void {
  if (!lab || context.currentTest?.state !== 'failed') return;
  console.log(`\n----- lab log ${lab.prefix} (saved at teardown under ${lab.log.directory}) -----\n${lab.log.text()}`);
}
