/** Mocha's side of the namespace lab: prerequisites (fail, or skip with MMPROXY_ALLOW_SKIP=1), and the hooks every suite needs. */
export { requirePrerequisite } from '../../support/prerequisite.js';
export { requireNetns, requireProgram } from './require.js';
export { printLabLogOnFailure, useSuiteNetwork, type SuiteNetwork } from './mocha-hooks.js';
