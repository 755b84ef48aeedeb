#!/usr/bin/env node
// Entry point: the only place that calls process.exit. The proxy's signals are
// caught before anything else loads (src/proxy/early-signals.ts): main.js and
// its dependencies take a while to load, and a SIGHUP or SIGTERM meanwhile
// would kill the process outright.
import { catchSignalsEarly, runsProxy } from '../dist/src/proxy/early-signals.js';

const args = process.argv.slice(2);
if (runsProxy(args)) catchSignalsEarly();
const { main } = await import('../dist/src/cli/main.js');

process.exitCode = await main(args);
