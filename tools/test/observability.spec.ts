import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The Grafana dashboard and docs/observability.md name the same metrics, and the dashboard
// covers what operators were promised: intake, consumer lag, time to settle and to confirm,
// chain submissions and failures.

const ROOT = resolve(__dirname, '..', '..');
const documented = new Set([...readFileSync(join(ROOT, 'docs', 'observability.md'), 'utf8').matchAll(/`(gridledger_[a-z_]+)`/g)].map((m) => m[1]));

interface Panel {
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'k8s', 'dashboards', 'gridledger.json'), 'utf8')) as { uid: string; panels: Panel[] };
const expressions = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
// Prometheus adds _bucket/_sum/_count to histograms.
const metricNames = new Set(expressions.flatMap((e) => [...e.matchAll(/\b(gridledger_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1])));

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourcesUnder(path);
    return entry.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('docs/observability.md', () => {
  it('names only metrics the services emit', () => {
    const code = ['libs', 'services'].flatMap((group) => sourcesUnder(join(ROOT, group))).map((file) => readFileSync(file, 'utf8')).join('\n');
    expect([...documented].filter((name) => !code.includes(`'${name}'`))).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  it('uses only metrics that docs/observability.md names', () => {
    expect(metricNames.size).toBeGreaterThan(5);
    expect([...metricNames].filter((name) => !documented.has(name))).toEqual([]);
  });

  it.each([
    ['values ingested', 'gridledger_intake_values_total'],
    ['consumer lag', 'gridledger_consumer_pending_messages'],
    ['period end to settled', 'gridledger_balancing_time_to_settle_seconds'],
    ['settled to confirmed', 'gridledger_chain_time_to_confirm_seconds'],
    ['chain submissions', 'gridledger_chain_submissions_total'],
    ['chain failures', 'gridledger_chain_rpc_failures_total'],
  ])('shows %s', (_what, metric) => {
    expect(metricNames.has(metric)).toBe(true);
  });

  it('lays panels out without overlaps and gives each a query', () => {
    const cells = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length).toBeGreaterThan(0);
      for (let x = panel.gridPos.x; x < panel.gridPos.x + panel.gridPos.w; x++) {
        for (let y = panel.gridPos.y; y < panel.gridPos.y + panel.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
