/**
 * The human report: the most likely root cause first, then every check in
 * registry order with its evidence and the exact commands that fix it.
 * Exact commands are never wrapped, so they can be copied whole.
 */
import { diagnose, joinedConclusion } from '../diagnosis.js';
import type { CheckReport, CheckStatus } from '../types.js';
import { paint, SYMBOL } from './style.js';
import { wrap } from './wrap.js';

export interface RenderOptions {
  colour: boolean;
  /** Terminal columns. */
  width: number;
  /** One line naming the setup under examination. */
  heading: string;
}

const INDENT = '    ';

function countLine(reports: CheckReport[]): string {
  const count = (status: CheckStatus) => reports.filter((report) => report.status === status).length;
  const parts: [number, string][] = [
    [count('fail'), 'failed'],
    [count('crash'), 'crashed'],
    [count('warn'), count('warn') === 1 ? 'warning' : 'warnings'],
    [count('ok'), 'ok'],
    [count('skip'), 'skipped'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, word]) => `${n} ${word}`)
    .join(', ');
}

function renderReport(report: CheckReport, options: RenderOptions): string[] {
  const p = paint(options.colour);
  const symbol = p.status(report.status, SYMBOL[report.status]);
  const lines = wrap(`${report.title}: ${report.summary}`, options.width - 2, '', '  ');
  const out = [
    `${symbol} ${lines[0] === undefined ? '' : p.bold(lines[0])}`,
    ...lines.slice(1).map((line) => `  ${line}`),
    // --config: which listeners the finding is about.
    ...(report.listeners ? wrap(`listeners: ${report.listeners.join(', ')}`, options.width, '  ', '  ') : []),
  ];
  if (report.status === 'skip') return out.map((line) => p.dim(line));
  for (const item of report.evidence) out.push(...wrap(item, options.width, `${INDENT}· `, `${INDENT}  `));
  const fix = report.remediation;
  if (fix) {
    out.push(...wrap(`fix: ${fix.text}`, options.width, INDENT, `${INDENT}     `));
    for (const command of fix.commands) for (const line of command.split('\n')) out.push(`${INDENT}  ${line}`);
  }
  return out;
}

export function renderHuman(reports: CheckReport[], options: RenderOptions): string {
  const p = paint(options.colour);
  const out: string[] = [...wrap(options.heading, options.width, '', '  ').map((line) => p.bold(line)), ''];
  const diagnosis = diagnose(reports);
  if (diagnosis) {
    const { rootCause, explains } = diagnosis;
    const headline = wrap(
      `Most likely root cause: ${rootCause.title}: ${rootCause.summary}`,
      options.width - 2,
      '',
      '',
    );
    out.push(...headline.map((line, i) => `${i === 0 ? p.status('fail', SYMBOL.fail) : ' '} ${line}`));
    if (explains.length)
      out.push(
        ...wrap(`It explains: ${explains.map((report) => report.title).join(', ')}.`, options.width, '  ', '  '),
      );
    const joined = joinedConclusion(diagnosis);
    if (joined) out.push(...wrap(joined, options.width, '  ', '  '));
    out.push('');
  }
  for (const report of reports) out.push(...renderReport(report, options));
  out.push('', countLine(reports) + '.');
  if (reports.some((report) => report.status === 'fail' && report.remediation?.apply?.length)) {
    out.push(
      ...wrap(
        'Run `mmproxy doctor --fix` (same options) to apply the routing fixes and re-check.',
        options.width,
        '',
        '',
      ),
    );
  }
  return out.join('\n') + '\n';
}
