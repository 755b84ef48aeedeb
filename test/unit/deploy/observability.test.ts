/**
 * deploy/grafana/mmproxy-dashboard.json and deploy/prometheus/alerts.yml against what the proxy really exports:
 * the metric families are read from renderMetrics() of a TCP and a UDP proxy (not from a list kept here), and
 * every name, histogram series and `result` label the queries use must be among them. The alert rules also go
 * through `promtool check rules` and their unit tests (`promtool test rules`) where promtool is installed
 * (Debian's prometheus package).
 */
import { PROMTOOL_MISSING, promtoolPath } from '../../support/promtool.js';
import { requirePrerequisite } from '../../support/prerequisite.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

import { FAILURE_REASONS } from '../../../src/base/flows.js';
import { packageRoot } from '../../../src/base/package-info.js';
import { renderMetrics } from '../../../src/stats/metrics.js';
import { FAILURE_MEANINGS } from '../../../src/tui/model/failure-meanings.js';
import { parseExposition } from '../../support/prometheus-parser.js';
import { recordedSource } from '../../support/recorded-source.js';

const run = promisify(execFile);
const DEPLOY = join(packageRoot(), 'deploy');
const DASHBOARD = join(DEPLOY, 'grafana', 'mmproxy-dashboard.json');
const ALERTS = join(DEPLOY, 'prometheus', 'alerts.yml');
const ALERT_TESTS = join(DEPLOY, 'prometheus', 'alerts.test.yml');

/** name -> type, of every family a TCP or a UDP proxy renders. */
function exportedFamilies(): Map<string, string> {
  const tcp = recordedSource();
  const udp = recordedSource();
  udp.summary = { ...udp.summary, protocol: 'udp', config: { ...udp.summary.config, udpHeader: 'every' } };
  const families = new Map<string, string>();
  for (const source of [tcp, udp])
    for (const [name, family] of parseExposition(renderMetrics(source))) families.set(name, family.type ?? 'untyped');
  return families;
}

/** Metric names in a PromQL expression, with a histogram's _bucket/_sum/_count mapped to its family. */
function metricsIn(expr: string, families: Map<string, string>): string[] {
  return [...expr.matchAll(/\bmmproxy_[a-z0-9_]+/g)].map(([name]) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && families.get(base) === 'histogram' ? base : name;
  });
}

function resultsIn(expr: string): string[] {
  return [...expr.matchAll(/result(?:!?=)"([a-z_]+)"/g)].map((match) => match[1]!);
}

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  options?: { content?: string };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
const rules = (
  parse(readFileSync(ALERTS, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }
).groups.flatMap((group) => group.rules);

describe('deploy/grafana/mmproxy-dashboard.json', () => {
  const families = exportedFamilies();
  const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

  it('queries only metrics the proxy exports, histogram series only of a histogram', () => {
    const used = new Set(exprs.flatMap((expr) => metricsIn(expr, families)));
    assert.deepEqual(
      [...used].filter((name) => !families.has(name)),
      [],
    );
    for (const expr of exprs.filter((e) => /_bucket\b/.test(e)))
      assert.ok(expr.includes('le'), `a _bucket query aggregates by le: ${expr}`);
  });

  it('shows throughput, flows, failures by reason and the connect latency histogram', () => {
    const uses = (name: string) => exprs.some((expr) => expr.includes(name));
    for (const name of [
      'mmproxy_bytes_total',
      'mmproxy_active_flows',
      'mmproxy_connections_total',
      'mmproxy_connect_duration_seconds_bucket',
    ])
      assert.ok(uses(name), name);
    assert.ok(exprs.some((expr) => /sum by \(result\) \(rate\(mmproxy_connections_total/.test(expr)));
    assert.ok(dashboard.panels.some((panel) => panel.type === 'heatmap'));
  });

  it("explains each failure reason with the proxy's own words and names the doctor", () => {
    const hint = dashboard.panels.find((panel) => panel.type === 'text')?.options?.content ?? '';
    for (const reason of FAILURE_REASONS)
      assert.ok(hint.includes(`| \`${reason}\` | ${FAILURE_MEANINGS[reason]} |`), reason);
    assert.match(hint, /mmproxy doctor --from-running/);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  const families = exportedFamilies();

  it('alerts on the failure reasons that mean broken routing, by names the proxy exports', () => {
    const reasons = new Set(rules.flatMap((rule) => resultsIn(rule.expr)));
    for (const reason of ['connect_timeout', 'connect_error', 'address_in_use', 'no_target'])
      assert.ok(reasons.has(reason), reason);
    for (const reason of reasons) assert.ok((FAILURE_REASONS as readonly string[]).includes(reason), reason);
    for (const rule of rules)
      assert.deepEqual(
        metricsIn(rule.expr, families).filter((name) => !families.has(name)),
        [],
        rule.alert,
      );
  });

  for (const [what, args] of [
    ['promtool check rules', ['check', 'rules', ALERTS]],
    ['promtool test rules (each alert fires on its series, not on a healthy proxy)', ['test', 'rules', ALERT_TESTS]],
  ] as const)
    it(what, async function () {
      const promtool = promtoolPath();
      requirePrerequisite(this, promtool ? null : PROMTOOL_MISSING);
      let result;
      try {
        result = await run(promtool!, [...args], { cwd: join(DEPLOY, 'prometheus') });
      } catch (error) {
        const failed = error as { stdout?: string; stderr?: string };
        assert.fail(`${failed.stdout ?? ''}${failed.stderr ?? ''}`);
      }
      assert.match(`${result.stdout}${result.stderr}`, /SUCCESS/);
    });
});
