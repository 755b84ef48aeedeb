/**
 * A PROXY header is trusted blindly: whoever can reach the listener can claim
 * to be any client. Listening beyond loopback needs -allowed-subnets, and
 * the file must be one the proxy accepts: it is read with the proxy's own
 * reader (src/config/allowed-subnets.ts), so a file the proxy refuses to
 * start with fails here with the proxy's own message.
 */
import { formatEndpoint } from '../../base/net/endpoint.js';
import { isLoopback, requireIp } from '../../base/net/ip.js';
import { anyPeerWarning, subnetFileRefusal } from '../../config/allowed-subnets.js';
import type { Check, CheckResult } from '../types.js';

/** Judges the allowed subnets, wherever they were read from (`from` names it). */
function judgeSubnets(subnets: string[], from: string, listen: string): CheckResult {
  const open = subnets.filter((subnet) => subnet.endsWith('/0'));
  if (open.length)
    return {
      status: 'warn',
      summary: `${from} allows ${open.join(', ')}: anyone may pose as any client`,
      evidence: subnets,
    };
  return {
    status: 'ok',
    summary: `only ${subnets.length} subnet${subnets.length === 1 ? '' : 's'} from ${from} may connect to ${listen}`,
    evidence: subnets,
  };
}

export const security: Check = {
  id: 'security',
  title: 'Who may send PROXY headers',
  groups: ['security'],
  reads: ({ listen, allowedSubnetsFile, allowedSubnets, allowedSubnetsFrom }) => ({
    listen,
    allowedSubnetsFile,
    allowedSubnets,
    allowedSubnetsFrom,
  }),
  async run(ctx): Promise<CheckResult> {
    const listen = ctx.setup.listen;
    const name = formatEndpoint(listen);
    const file = ctx.setup.allowedSubnetsFile;
    if (file !== null) {
      // Read as the proxy reads it at start: what it refuses, the doctor fails, in the proxy's words.
      const read = await ctx.system.loadSubnets(file);
      if (!read.ok) {
        return {
          status: 'fail',
          summary: subnetFileRefusal(read.message),
          evidence: [`the proxy refuses to start with these flags: it prints this and exits 2`],
          remediation: {
            commands: [`printf '%s\\n' 192.0.2.10/32 > ${file}   # your load balancers' addresses`],
            text: 'One numeric prefix (or address) per line, # for comments; host names are not resolved, as in go-mmproxy.',
          },
        };
      }
      const judged = judgeSubnets(read.subnets, file, name);
      return { ...judged, evidence: [...judged.evidence, ...read.notes] };
    }
    if (ctx.setup.allowedSubnets)
      return judgeSubnets(
        ctx.setup.allowedSubnets,
        ctx.setup.allowedSubnetsFrom ?? "the running proxy's -allowed-subnets",
        name,
      );
    if (isLoopback(requireIp(listen.address)))
      return { status: 'ok', summary: `listening on loopback (${name}) only`, evidence: [] };
    return {
      status: 'warn',
      summary: anyPeerWarning(name),
      evidence: [],
      remediation: {
        commands: [
          `printf '%s\\n' 192.0.2.10/32 > /etc/mmproxy/allowed-subnets   # your load balancers' addresses`,
          `mmproxy … -allowed-subnets /etc/mmproxy/allowed-subnets`,
        ],
        text: 'List the load balancers that may connect.',
      },
    };
  },
};
