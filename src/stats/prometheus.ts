/**
 * Prometheus text exposition format 0.0.4: HELP and TYPE lines, then one
 * sample per line. Label values escape backslash, double quote and newline;
 * HELP text escapes backslash and newline.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** Appended to the family name: "_bucket", "_sum", "_count" for histograms. */
  suffix?: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * The samples of a histogram: cumulative `_bucket{le="…"}` for each upper
 * bound and `le="+Inf"`, then `_sum` and `_count`. `counts` is per bucket
 * (not cumulative), one longer than `upperBounds`: its last entry is beyond
 * the last bound. `_count` is the +Inf bucket, as the format requires.
 */
export function histogramSamples(upperBounds: readonly number[], counts: readonly number[], sum: number): Sample[] {
  if (counts.length !== upperBounds.length + 1) {
    throw new Error(
      `a histogram with ${upperBounds.length} bounds needs ${upperBounds.length + 1} bucket counts, got ${counts.length}`,
    );
  }
  const samples: Sample[] = [];
  let cumulative = 0;
  counts.forEach((count, i) => {
    cumulative += count;
    const le = i < upperBounds.length ? formatBound(upperBounds[i]!) : '+Inf';
    samples.push({ suffix: '_bucket', labels: { le }, value: cumulative });
  });
  samples.push({ suffix: '_sum', value: sum }, { suffix: '_count', value: cumulative });
  return samples;
}

/** 0.00025, not 0.00025000000000000006: bounds are decimal numbers chosen by people. */
function formatBound(bound: number): string {
  return String(Number(bound.toPrecision(12)));
}

function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  for (const [name] of entries) {
    if (!LABEL_NAME.test(name) || name.startsWith('__'))
      throw new Error(`invalid Prometheus label name ${JSON.stringify(name)}`);
  }
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!NAME.test(family.name)) throw new Error(`invalid Prometheus metric name ${JSON.stringify(family.name)}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(`${family.name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
