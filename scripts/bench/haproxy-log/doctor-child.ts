/**
 * `node doctor-child.js LOG`: `mmproxy doctor --json --haproxy-log LOG haproxy-log` in this process, then its
 * peak resident memory as the last line of stderr (`{"maxRssKiB":N}`), which the parent cannot read itself.
 */
import { main } from '../../../src/cli/main.js';

const [log] = process.argv.slice(2);
process.exitCode = await main(['doctor', '--json', '--haproxy-log', log ?? '-', 'haproxy-log']);
process.stderr.write(`\n${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS })}\n`);
