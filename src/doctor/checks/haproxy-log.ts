/** Reads HAProxy's log (--haproxy-log) and names the servers whose proxy cannot connect upstream. */
import { analyseSessions, explainClusterTime } from '../haproxy/analyse-log.js';
import { parseHaproxyLog } from '../haproxy/parse-log.js';
import { explainTerminationState } from '../haproxy/termination-state.js';
import type { Check, CheckResult } from '../types.js';

export const haproxyLog: Check = {
  id: 'haproxy-log',
  title: 'HAProxy log',
  groups: ['haproxy'],
  async run(ctx): Promise<CheckResult> {
    const text = ctx.options.haproxyLog;
    if (text === null)
      return { status: 'skip', summary: 'no log given (--haproxy-log FILE, or - for stdin)', evidence: [] };
    const { sessions, skippedLines } = parseHaproxyLog(text);
    if (sessions.length === 0) {
      return {
        status: 'warn',
        summary: `no HAProxy session lines found (${skippedLines} other lines skipped); is it \`option tcplog\` or \`option httplog\`?`,
        evidence: [],
      };
    }
    const findings = analyseSessions(sessions);
    const order = ['broken', 'unreachable', 'suspect', 'healthy'] as const;
    const ordered = order.flatMap((verdict) => findings.filter((finding) => finding.verdict === verdict));
    const states = [...new Set(sessions.map((session) => session.state))].sort();
    // The worst servers' conclusions are the summary; the evidence contrasts them with the rest.
    const worst = ordered[0]?.verdict;
    const evidence = [
      ...ordered
        .filter((finding) => finding.verdict !== worst || worst === 'healthy')
        .map((finding) => finding.conclusion),
      ...ordered.flatMap((finding) => explainClusterTime(finding) ?? []),
      ...states.map((state) => `${state}: ${explainTerminationState(state)}`),
      `${sessions.length} sessions read${skippedLines ? `, ${skippedLines} other lines skipped` : ''}`,
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
