/** Reads HAProxy's log (--haproxy-log) and names the servers whose proxy cannot connect upstream. */
import { analyseLog, explainClusterTime, type ServerFinding } from '../haproxy/analyse-log.js';
import { MAX_SERVERS } from '../haproxy/log-tally.js';
import { explainTerminationState } from '../haproxy/termination-state.js';
import type { Check, CheckResult } from '../types.js';

/** "aaa, e.g. line 12: <the line>" for a server with a problem, so it can be found in the log. */
function exampleEvidence(finding: ServerFinding): string[] {
  return finding.examples.map((example) => `${finding.name}, e.g. line ${example.line}: ${example.text}`);
}

export const haproxyLog: Check = {
  id: 'haproxy-log',
  title: 'HAProxy log',
  groups: ['haproxy'],
  // Only the log: one finding for every listener.
  reads: () => null,
  async run(ctx): Promise<CheckResult> {
    const log = ctx.options.haproxyLog;
    if (log === null)
      return { status: 'skip', summary: 'no log given (--haproxy-log FILE, or - for stdin)', evidence: [] };
    const { sessions, skippedLines, untrackedSessions } = log;
    if (sessions === 0) {
      return {
        status: 'warn',
        summary: `no HAProxy session lines found (${skippedLines} other lines skipped); is it \`option tcplog\` or \`option httplog\`?`,
        evidence: [],
      };
    }
    const findings = analyseLog(log);
    const order = ['broken', 'unreachable', 'suspect', 'healthy'] as const;
    const ordered = order.flatMap((verdict) => findings.filter((finding) => finding.verdict === verdict));
    const states = [...log.states].sort();
    // The worst servers' conclusions are the summary; the evidence contrasts them with the rest.
    const worst = ordered[0]?.verdict;
    const evidence = [
      ...ordered
        .filter((finding) => finding.verdict !== worst || worst === 'healthy')
        .map((finding) => finding.conclusion),
      ...ordered.flatMap((finding) => explainClusterTime(finding) ?? []),
      ...states.map((state) => `${state}: ${explainTerminationState(state)}`),
      `${sessions} sessions read${skippedLines ? `, ${skippedLines} other lines skipped` : ''}`,
      ...(untrackedSessions
        ? [`${untrackedSessions} sessions of servers beyond the first ${MAX_SERVERS} not analysed`]
        : []),
      ...ordered.flatMap(exampleEvidence),
    ];
    const broken = ordered.filter((finding) => finding.verdict === 'broken');
    const unreachable = ordered.filter((finding) => finding.verdict === 'unreachable');
    const suspect = ordered.filter((finding) => finding.verdict === 'suspect');
    if (broken.length) {
      return {
        status: 'fail',
        summary: broken.map((finding) => finding.conclusion).join('; '),
        evidence,
        symptom: { of: 'reply-routing', servers: broken.map((finding) => finding.name) },
      };
    }
    if (unreachable.length)
      return { status: 'fail', summary: unreachable.map((finding) => finding.conclusion).join('; '), evidence };
    if (suspect.length)
      return { status: 'warn', summary: suspect.map((finding) => finding.conclusion).join('; '), evidence };
    return {
      status: 'ok',
      summary: `every server healthy (${findings.map((finding) => finding.name).join(', ')})`,
      evidence,
    };
  },
};
