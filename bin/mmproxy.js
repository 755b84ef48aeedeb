#!/usr/bin/env node
// Entry point: the only place that calls process.exit.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
