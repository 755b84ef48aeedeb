/**
 * The headline: the most likely root cause among the failures, and which
 * other findings it explains. Checks are registered causes first, so the
 * first failing check that is not a symptom wins; findings marked as
 * symptoms of lost replies are attributed to it when it is a routing cause.
 */
import { registry } from './registry.js';
import type { CheckReport } from './types.js';

export interface Diagnosis {
  rootCause: CheckReport;
  explains: CheckReport[];
}

/** Checks whose failure loses the replies to spoofed clients: the causes symptoms are tied to. */
const CAUSE_GROUPS = ['routing', 'udp', 'privilege', 'firewall'] as const;
const ROUTING_CAUSES = new Set(
  registry
    .filter((check) => check.groups.some((group) => (CAUSE_GROUPS as readonly string[]).includes(group)))
    .map((check) => check.id),
);

export function diagnose(reports: CheckReport[]): Diagnosis | null {
  const failing = reports.filter((report) => report.status === 'fail');
  const cause = failing.find((report) => !report.symptom) ?? failing[0];
  if (!cause) return null;
  const explains = ROUTING_CAUSES.has(cause.id) ? failing.filter((report) => report !== cause && report.symptom) : [];
  return { rootCause: cause, explains };
}

/** The sentence joining HAProxy's view with this host's finding. */
export function joinedConclusion(diagnosis: Diagnosis): string | null {
  const servers = diagnosis.explains.find((report) => report.id === 'haproxy-log')?.symptom?.servers ?? [];
  if (servers.length === 0) return null;
  const names = servers.join(' or ');
  return `If this host is ${names}, this is why HAProxy's sessions to ${names} ended with 0 bytes from the server side.`;
}
