/**
 * The doctor's vocabulary: a check is one module with an id, a title, the
 * groups it belongs to and a run(ctx) that returns a result. Checks read the
 * system only through the DoctorContext, so unit tests run them on fixtures.
 */
import type { DoctorContext } from './context/context.js';
import type { Observation, ProbeKey } from './observation.js';
import type { ProxySetup } from './options/proxy-setup.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip' | 'crash';

export interface Remediation {
  /** Exact commands, shown to the user as they should type them. */
  commands: string[];
  text: string;
  /**
   * The same routing commands as argv arrays, present only when `--fix` may
   * run them itself. Anything else (iptables, sysctl, config files) is shown, never applied.
   */
  apply?: string[][];
}

/**
 * Set by checks that observe the effect of missing reply routing from the
 * outside (a spoofed probe timing out, a SYN-ACK leaving by the wrong
 * interface, HAProxy's `SD` sessions), so the report can tie them to the cause.
 */
export interface Symptom {
  of: 'reply-routing';
  /** HAProxy server names showing it, when known. */
  servers?: string[];
}

export interface CheckResult {
  status: CheckStatus;
  summary: string;
  evidence: string[];
  remediation?: Remediation;
  symptom?: Symptom;
  /**
   * Set by a failing static check: the spoofed probes its finding says must
   * fail. When each of them passed, the finding is wrong about this host, and
   * the report turns it into a warning (./reconcile.ts).
   */
  predicts?: ProbeKey[];
  /** Set by the checks that run probes: what each one did. */
  observed?: Observation[];
}

export type CheckGroup =
  | 'privilege'
  | 'routing'
  | 'mark'
  | 'sysctl'
  | 'firewall'
  | 'target'
  | 'capture'
  | 'udp'
  | 'persistence'
  | 'security'
  | 'haproxy';

export interface Check {
  id: string;
  title: string;
  groups: CheckGroup[];
  run(ctx: DoctorContext): Promise<CheckResult>;
  /**
   * What of the setup `run` reads. With a config file's many listeners, the
   * check runs once per distinct value (compared as JSON), for every listener
   * that shares it (./config-run.ts). Absent: the whole setup.
   */
  reads?(setup: ProxySetup): unknown;
}

/** A result with the check it came from, as the runner returns it. */
export interface CheckReport extends CheckResult {
  id: string;
  title: string;
  elapsedMs: number;
  /** With a config file: the listeners this finding is about. */
  listeners?: string[];
}
