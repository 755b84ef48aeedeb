/** `--json`: the same content as the human report, for scripts. */
import { buildInfo, hostName, type BuildInfo } from '../../base/package-info.js';
import { diagnose, joinedConclusion } from '../diagnosis.js';
import type { ProxySetup } from '../options/proxy-setup.js';
import type { FixOutcome } from '../fix.js';
import type { ListenerSetup } from '../options/proxy-setup.js';
import type { CheckReport } from '../types.js';

/**
 * The document's shape. A reader that sees another number must not guess; fields may be added within a
 * version (readers ignore what they do not know).
 */
export const DOCTOR_JSON_SCHEMA_VERSION = 1;

/** What the report is about: one setup, or (--config) a file's listeners, each with its setup. */
/** One setup, or several listeners: a config file's (`config`), or a running proxy's that runs one (no `config`). */
export type JsonSubject = ProxySetup | { config?: string; listeners: ListenerSetup[] };

/** With --fix, `checks` is the state after the fix and `fix` says what was run. */
export function renderJson(
  reports: CheckReport[],
  about: JsonSubject,
  exitCode: number,
  fix?: FixOutcome,
  build: BuildInfo = buildInfo(),
  host: string = hostName(),
): string {
  const diagnosis = diagnose(reports);
  const document = {
    schemaVersion: DOCTOR_JSON_SCHEMA_VERSION,
    mmproxy: build,
    // Added within version 1: which host this report is about, for reports collected from many.
    host,
    // With --config (added within version 1): `config` and `listeners` instead of `setup`; `listeners` alone for
    // --from-running on a proxy running several.
    ...('listeners' in about ? about : { setup: about }),
    rootCause: diagnosis
      ? {
          id: diagnosis.rootCause.id,
          summary: diagnosis.rootCause.summary,
          explains: diagnosis.explains.map((report) => report.id),
          conclusion: joinedConclusion(diagnosis),
        }
      : null,
    checks: reports.map(({ id, title, status, summary, evidence, remediation, elapsedMs, listeners }) => ({
      id,
      title,
      // Added within version 1, with --config: the listeners the finding is about.
      ...(listeners ? { listeners } : {}),
      status,
      summary,
      evidence,
      remediation: remediation
        ? { commands: remediation.commands, text: remediation.text, appliedByFix: Boolean(remediation.apply?.length) }
        : null,
      elapsedMs: Math.round(elapsedMs * 10) / 10,
    })),
    ...(fix ? { fix } : {}),
    exitCode,
  };
  return JSON.stringify(document, null, 2) + '\n';
}
