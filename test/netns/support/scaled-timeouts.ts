/**
 * A mocha root-hook plugin (`mocha --require dist/test/netns/support/scaled-timeouts.js`) that stretches every
 * timeout by TIME_SCALE (./time-scale.ts) before the first test runs. Suites set theirs with this.timeout() when
 * they are defined, and mocha copies a suite's timeout into each test and hook as it creates them, so the tests
 * and hooks are stretched one by one. Suites are left alone: setting a suite's timeout (mocha 11) overwrites the
 * timeouts of everything inside it.
 */
import { TIME_SCALE } from '../../../lab/time-scale.js';

/** Mocha keeps a suite's hooks in these fields; its typings leave them out. */
interface SuiteHooks {
  _beforeAll: Mocha.Hook[];
  _beforeEach: Mocha.Hook[];
  _afterEach: Mocha.Hook[];
  _afterAll: Mocha.Hook[];
}

function stretch(runnable: Mocha.Runnable): void {
  runnable.timeout(runnable.timeout() * TIME_SCALE);
}

function stretchSuite(suite: Mocha.Suite): void {
  const hooks = suite as unknown as SuiteHooks;
  for (const hook of [...hooks._beforeAll, ...hooks._beforeEach, ...hooks._afterEach, ...hooks._afterAll])
    stretch(hook);
  for (const test of suite.tests) stretch(test);
  for (const child of suite.suites) stretchSuite(child);
}

export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    let root = this.test?.parent;
    while (root?.parent) root = root.parent;
    if (root && TIME_SCALE !== 1) stretchSuite(root);
  },
};
