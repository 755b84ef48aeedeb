/** Mocha's side of the namespace lab: skipping with a reason, and the hooks every suite needs. */
export { requireNetns, requireProgram } from './require.js';
export { printLabLogOnFailure, useSuiteNetwork, type SuiteNetwork } from './mocha-hooks.js';
