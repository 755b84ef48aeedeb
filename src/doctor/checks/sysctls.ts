/** Kernel settings that change what happens to spoofed connections, each with why. */
import type { DoctorContext } from '../context/context.js';
import type { Check, CheckResult } from '../types.js';

// go-mmproxy and cloudflare/mmproxy set TCP_SYNCNT=2 on upstream sockets.
const GO_MMPROXY_SYN_RETRIES = 2;
const MIN_SOMAXCONN = 1024;

/** Seconds until connect() gives up with n SYN retries: RTO 1 s doubling, capped at 120 s. */
export function synGiveUpSeconds(retries: number): number {
  let total = 0;
  for (let attempt = 0; attempt <= retries; attempt++) total += Math.min(2 ** attempt, 120);
  return total;
}

interface Line {
  warn: boolean;
  text: string;
  fix?: string;
}

async function synRetries(ctx: DoctorContext): Promise<Line> {
  const value = Number(await ctx.sysctl('net.ipv4.tcp_syn_retries'));
  const seconds = synGiveUpSeconds(value);
  const go = synGiveUpSeconds(GO_MMPROXY_SYN_RETRIES);
  return {
    warn: false,
    text:
      `net.ipv4.tcp_syn_retries = ${value}: a connect whose SYN-ACK never comes back fails after ~${seconds} s by default; ` +
      `go-mmproxy sets TCP_SYNCNT=${GO_MMPROXY_SYN_RETRIES} (SYNs at 0, 1, 3 s, gives up at ~${go} s: HAProxy's \`SD\` after ~7.1 s), ` +
      `mmproxy gives up after --connect-timeout (${ctx.setup.connectTimeoutMs / 1000} s)`,
  };
}

async function somaxconn(ctx: DoctorContext): Promise<Line> {
  const value = Number(await ctx.sysctl('net.core.somaxconn'));
  const warn = value < MIN_SOMAXCONN;
  return {
    warn,
    text: `net.core.somaxconn = ${value}: caps the listener's accept backlog; a burst from the load balancer beyond it loses SYNs${warn ? ' (low)' : ''}`,
    fix: warn ? `sysctl -w net.core.somaxconn=4096` : undefined,
  };
}

async function rpFilter(ctx: DoctorContext): Promise<Line> {
  const all = Number(await ctx.sysctl('net.ipv4.conf.all.rp_filter'));
  const lo = Number(await ctx.sysctl('net.ipv4.conf.lo.rp_filter'));
  // The kernel uses the larger of "all" and the interface's value.
  const strict = Math.max(all, lo) === 1;
  const markMode = ctx.setup.mark !== 0;
  const warn = strict && markMode;
  return {
    warn,
    text:
      `net.ipv4.conf.all.rp_filter = ${all}, lo = ${lo}: packets on lo are exempt, so loopback routing is unaffected; ` +
      `in mark mode strict filtering (1) can drop replies whose source routes out of another interface${warn ? ' (strict, with -mark)' : ''}`,
    fix: warn ? 'sysctl -w net.ipv4.conf.all.rp_filter=2' : undefined,
  };
}

async function routeLocalnet(ctx: DoctorContext): Promise<Line> {
  const all = await ctx.sysctl('net.ipv4.conf.all.route_localnet');
  return {
    warn: false,
    text: `net.ipv4.conf.all.route_localnet = ${all}: needed only in mark mode with a 127.0.0.0/8 target, so the reply may be routed before its mark is restored (checked by mark-routing)`,
  };
}

async function ipForward(ctx: DoctorContext): Promise<Line> {
  const value = await ctx.sysctl('net.ipv4.ip_forward');
  return {
    warn: false,
    text: `net.ipv4.ip_forward = ${value}: not needed by mmproxy itself (replies are delivered locally, not forwarded); needed only when this host also routes for a target behind it`,
  };
}

export const sysctls: Check = {
  id: 'sysctls',
  title: 'Kernel settings',
  groups: ['sysctl'],
  reads: (setup) => ({ connectTimeoutMs: setup.connectTimeoutMs, marked: setup.mark !== 0 }),
  async run(ctx): Promise<CheckResult> {
    const lines = await Promise.all([
      synRetries(ctx),
      somaxconn(ctx),
      rpFilter(ctx),
      routeLocalnet(ctx),
      ipForward(ctx),
    ]);
    const warnings = lines.filter((line) => line.warn);
    const evidence = lines.map((line) => `${line.warn ? '! ' : ''}${line.text}`);
    if (warnings.length === 0) return { status: 'ok', summary: 'no kernel setting stands in the way', evidence };
    const fixes = warnings.flatMap((line) => (line.fix ? [line.fix] : []));
    return {
      status: 'warn',
      summary: `${warnings.length} setting${warnings.length > 1 ? 's' : ''} may bite (marked !)`,
      evidence,
      remediation: { commands: fixes, text: 'Persist with a file in /etc/sysctl.d/ once confirmed.' },
    };
  },
};
