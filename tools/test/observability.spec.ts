import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { emittedMetrics } from './support/emitted-metrics';

// docs/observability.md names the metrics and labels the code emits (read from the sources),
// the Grafana dashboard uses only those, and it covers what operators were promised: intake,
// consumer lag, time to settle and to confirm, chain submissions and failures.

const ROOT = resolve(__dirname, '..', '..');
const page = readFileSync(join(ROOT, 'docs', 'observability.md'), 'utf8');
const documented = new Set([...page.matchAll(/`(gridledger_[a-z_]+)`/g)].map((m) => m[1]));
/** The metrics table: name → label keys (the backticked words of the labels column outside parentheses). */
const documentedLabels = new Map(
  page
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .filter((cells) => /^`gridledger_[a-z_]+`$/.test(cells[1] ?? ''))
    .map((cells) => [cells[1].slice(1, -1), [...cells[3].replace(/\([^)]*\)/g, '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).sort()] as const),
);
const emitted = emittedMetrics(ROOT, ['libs', 'services']);

interface Panel {
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'k8s', 'monitoring', 'gridledger-dashboard.json'), 'utf8')) as { uid: string; panels: Panel[] };
const expressions = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
// Prometheus adds _bucket/_sum/_count to histograms.
const metricNames = new Set(expressions.flatMap((e) => [...e.matchAll(/\b(gridledger_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1])));


describe('docs/observability.md', () => {
  it('reads every recording of every metric from the code', () => {
    expect(emitted.unreadable).toEqual([]);
    expect(emitted.recordings.size).toBeGreaterThan(10);
    expect([...emitted.recordings].filter(([, recordings]) => recordings.length === 0).map(([name]) => name)).toEqual([]);
  });

  it('names only metrics the services emit, and every one they emit', () => {
    expect([...documented].filter((name) => !emitted.recordings.has(name))).toEqual([]);
    expect([...emitted.recordings.keys()].filter((name) => !documentedLabels.has(name))).toEqual([]);
  });

  it('lists, for each metric, exactly the labels every recording of it sets', () => {
    const drift = [...emitted.recordings].flatMap(([name, recordings]) =>
      recordings
        .filter((recording) => recording.labels.join(',') !== (documentedLabels.get(name) ?? []).join(','))
        .map((recording) => `${name}: documented [${(documentedLabels.get(name) ?? []).join(', ')}], recorded [${recording.labels.join(', ')}] at ${recording.at}`),
    );
    expect(drift).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  it('uses only metrics that docs/observability.md names', () => {
    expect(metricNames.size).toBeGreaterThan(5);
    expect([...metricNames].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('groups and filters only by labels those metrics carry', () => {
    // Every series also carries service_name (the exporter copies it from the resource) and
    // otel_scope_name; histogram buckets add le.
    const everySeries = ['service_name', 'otel_scope_name', 'le'];
    expect(page).toContain('`service_name`');
    const unknown = expressions.flatMap((expr) => {
      const metrics = [...expr.matchAll(/\b(gridledger_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]);
      const grouped = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((label) => label.trim()));
      const selected = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]));
      return metrics.flatMap((metric) =>
        [...grouped, ...selected].filter((label) => label && !everySeries.includes(label) && !(documentedLabels.get(metric) ?? []).includes(label)).map((label) => `${metric}: ${label} in ${expr}`),
      );
    });
    expect(unknown).toEqual([]);
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
