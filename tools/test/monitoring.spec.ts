import { readFileSync, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { counter, histogram, meter, startTelemetry, type Telemetry } from '@gridledger/telemetry';
import { renderKustomization, type K8sObject } from '../src/ci/k8s/render-kustomization';
import { emittedMetrics } from './support/emitted-metrics';
import { labelProblems, metricsIn } from './support/promql-labels';

// What operators watch, checked against what is really exported: the dashboard's panels and
// the alert rules group and filter only by labels their metrics carry once the services'
// OpenTelemetry Prometheus exporter has written them (scraped here from that exporter);
// Prometheus operator objects, Grafana provisioning and the compose stack (Jaeger, Prometheus,
// Grafana) fit together. Docker need not run: the compose file is parsed.

const ROOT = resolve(__dirname, '..', '..');
const MONITORING = join(ROOT, 'k8s', 'monitoring');
const read = (...path: string[]): string => readFileSync(join(ROOT, ...path), 'utf8');
const dashboard = JSON.parse(read('k8s', 'monitoring', 'gridledger-dashboard.json')) as { panels: { title: string; targets: { expr: string }[] }[] };
const panelExpressions = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
const rulesFile = parse(read('k8s', 'monitoring', 'alerts.rules.yaml')) as { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
const alertRules = rulesFile.groups.flatMap((g) => g.rules);

/** Metrics other issues add (the reconciler's drift): alerted on before they exist, with no labels assumed. */
const ANNOUNCED = new Map<string, readonly string[]>([['gridledger_reconciliation_drift', []]]);
/** The NATS pods' prometheus-nats-exporter (k8s/base/nats.yaml): its JetStream consumer labels. */
const NATS_EXPORTER = new Map<string, readonly string[]>([
  ['jetstream_consumer_num_pending', ['server_id', 'server_name', 'cluster', 'domain', 'meta_leader', 'is_meta_leader', 'account', 'account_id', 'stream_name', 'stream_leader', 'is_stream_leader', 'consumer_name', 'consumer_desc', 'consumer_leader', 'is_consumer_leader']],
]);

function scrape(telemetry: Telemetry): Promise<string> {
  return new Promise((done) => {
    const response = { statusCode: 0, setHeader: () => undefined, end: (body: string) => done(body) };
    telemetry.handleMetricsRequest({ url: '/metrics' } as IncomingMessage, response as unknown as ServerResponse);
  });
}

/** Series name → label keys, from Prometheus text; histogram series under their base name. */
function labelsOfSeries(text: string): Map<string, string[]> {
  const carried = new Map<string, Set<string>>();
  for (const match of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} /gm)) {
    const name = match[1].replace(/_(bucket|sum|count)$/, '');
    const keys = [...match[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((m) => m[1]);
    carried.set(name, new Set([...(carried.get(name) ?? []), ...keys]));
  }
  return new Map([...carried].map(([name, keys]) => [name, [...keys].sort()]));
}

describe('dashboard panels and alert rules, against the labels the exported metrics carry', () => {
  let carried: Map<string, readonly string[]>;
  let telemetry: Telemetry;

  beforeAll(async () => {
    // Each gridledger metric recorded once with the label keys the code records it with
    // (read from the sources), through the same exporter the services serve /metrics with.
    telemetry = startTelemetry({ serviceName: 'monitoring-spec', exporter: 'none' });
    const emitted = emittedMetrics(ROOT, ['libs', 'services']);
    for (const [name, recordings] of emitted.recordings) {
      const attributes = Object.fromEntries((recordings[0]?.labels ?? []).map((label) => [label, 'x']));
      if (name.endsWith('_total')) counter(name, name).add(1, attributes);
      else if (name.endsWith('_seconds')) histogram(name, name, 's').record(0.5, attributes);
      else meter().createObservableGauge(name).addCallback((result) => result.observe(1, attributes));
    }
    const exported = labelsOfSeries(await scrape(telemetry));
    expect([...emitted.recordings.keys()].filter((name) => !exported.has(name))).toEqual([]);
    carried = new Map([...exported, ...ANNOUNCED, ...NATS_EXPORTER]);
  });

  afterAll(async () => {
    await telemetry?.shutdown();
  });

  it('every exported gridledger series carries service_name (the panels group by it)', () => {
    const gridledger = [...carried].filter(([name]) => name.startsWith('gridledger_') && !ANNOUNCED.has(name));
    expect(gridledger.length).toBeGreaterThan(10);
    expect(gridledger.filter(([, labels]) => !labels.includes('service_name')).map(([name]) => name)).toEqual([]);
  });

  it('catches a label a metric does not carry, and a metric nobody exports', () => {
    expect(labelProblems('sum by (service_name, pod_name) (rate(gridledger_intake_values_total{outcome="accepted"}[5m]))', carried)).toEqual([
      'gridledger_intake_values_total: pod_name in sum by (service_name, pod_name) (rate(gridledger_intake_values_total{outcome="accepted"}[5m]))',
    ]);
    expect(labelProblems('sum(gridledger_no_such_thing_total)', carried)).toEqual(['gridledger_no_such_thing_total: unknown metric in sum(gridledger_no_such_thing_total)']);
  });

  it('every panel groups and filters only by labels its metrics carry', () => {
    expect(panelExpressions.length).toBeGreaterThan(10);
    expect(panelExpressions.flatMap((expr) => labelProblems(expr, carried))).toEqual([]);
  });

  it('every alert groups and filters only by labels its metrics carry', () => {
    expect(alertRules.flatMap((rule) => labelProblems(rule.expr, carried))).toEqual([]);
  });

  it.each([
    ['consumer lag', 'gridledger_consumer_pending_messages'],
    ['dead letters', 'gridledger_messages_consumed_total'],
    ['substitutes', 'gridledger_balancing_versions_settled_total'],
    ['chain failures', 'gridledger_chain_rpc_failures_total'],
    ['outbox age', 'gridledger_outbox_unpublished_rows'],
    ['outbox parked rows', 'gridledger_outbox_parked_rows'],
    ['settlement parked group-periods', 'gridledger_settlement_parked_group_periods'],
    ['reconciliation drift', 'gridledger_reconciliation_drift'],
  ])('alerts on %s', (_what, metric) => {
    expect(alertRules.some((rule) => metricsIn(rule.expr).includes(metric))).toBe(true);
  });
});

describe('k8s/monitoring (Prometheus operator, Grafana sidecar)', () => {
  const kustomization = parse(readFileSync(join(MONITORING, 'kustomization.yaml'), 'utf8')) as {
    resources: string[];
    configMapGenerator: { name: string; files: string[]; options: { labels: Record<string, string> } }[];
  };
  const objects = kustomization.resources.flatMap((file) => parseDocument(readFileSync(join(MONITORING, file), 'utf8')).toJSON() as K8sObject);
  const base = renderKustomization(join(ROOT, 'k8s', 'base'));

  it('holds the same alert rules as alerts.rules.yaml in a PrometheusRule', () => {
    const rule = objects.find((o) => o.kind === 'PrometheusRule') as K8sObject & { spec: { groups: unknown } };
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.spec.groups).toEqual(rulesFile.groups);
  });

  it('scrapes every service pod with a PodMonitor on the pods\' http port', () => {
    const monitor = objects.find((o) => o.kind === 'PodMonitor') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; path: string }[] } };
    const deployments = base.filter((o) => o.kind === 'Deployment');
    const selected = deployments.filter((d) => {
      const labels = (d as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels;
      return Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => labels[k] === v);
    });
    expect(selected.map((d) => d.metadata.name).sort()).toEqual(['balancing', 'capacity-market', 'chain-bridge', 'chain-finalizer', 'meter-ingest']);
    expect(monitor.spec.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    for (const deployment of selected) expect(JSON.stringify(deployment)).toContain('"name":"http"');
  });

  it('provisions the dashboard as a ConfigMap for Grafana\'s sidecar', () => {
    const [generator] = kustomization.configMapGenerator;
    expect(generator.files).toEqual(['gridledger-dashboard.json']);
    expect(generator.options.labels).toEqual({ grafana_dashboard: '1' });
    for (const file of [...kustomization.resources, ...generator.files]) expect(existsSync(join(MONITORING, file))).toBe(true);
  });

  it('lets the collector in k8s/base discover every pod instead of scraping Service names', () => {
    const config = parse(String((base.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'otel-collector') as unknown as { data: Record<string, string> }).data['collector.yaml'])) as {
      receivers: { prometheus: { config: { scrape_configs: { job_name: string; static_configs?: unknown; kubernetes_sd_configs?: { role: string }[] }[] } } };
    };
    const job = config.receivers.prometheus.config.scrape_configs.find((j) => j.job_name === 'gridledger-services');
    expect(job?.kubernetes_sd_configs).toEqual([expect.objectContaining({ role: 'pod' })]);
    expect(job?.static_configs).toBeUndefined();
    const role = base.find((o) => o.kind === 'Role' && o.metadata.name === 'otel-collector-pod-discovery') as unknown as { rules: { resources: string[]; verbs: string[] }[] };
    expect(role.rules).toEqual([expect.objectContaining({ resources: ['pods'], verbs: ['get', 'list', 'watch'] })]);
    expect(base.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'otel-collector-pod-discovery')).toBeDefined();
  });

  it('deploys the console with its Service', () => {
    expect(base.find((o) => o.kind === 'Deployment' && o.metadata.name === 'console')).toBeDefined();
    expect((base.find((o) => o.kind === 'Service' && o.metadata.name === 'console') as unknown as { spec: unknown }).spec).toMatchObject({ ports: [{ port: 80, targetPort: 'http' }] });
  });
});

describe('docker-compose.yml: traces to Jaeger, metrics to Prometheus, Grafana with the dashboard', () => {
  type ComposeService = { image?: string; volumes?: string[]; ports?: string[]; environment?: Record<string, string>; depends_on?: unknown };
  const compose = parseDocument(read('docker-compose.yml'), { merge: true }).toJSON() as { services: Record<string, ComposeService>; configs: Record<string, { content: string }> };
  const collector = parse(compose.configs.otel_conf.content) as { exporters: Record<string, { endpoint?: string }>; service: { pipelines: Record<string, { exporters: string[] }> } };
  const mounts = (service: string): Map<string, string> =>
    new Map((compose.services[service]?.volumes ?? []).map((volume) => volume.split(':')).map(([from, to]) => [to, from] as [string, string]));

  it('runs Jaeger, Prometheus and Grafana', () => {
    expect(compose.services.jaeger?.image).toMatch(/^jaegertracing\/all-in-one:\d/);
    expect(compose.services.prometheus?.image).toMatch(/^prom\/prometheus:v\d/);
    expect(compose.services.grafana?.image).toMatch(/^grafana\/grafana:\d/);
  });

  it('has the collector export every trace to Jaeger over OTLP, not to debug only', () => {
    const exporters = collector.service.pipelines.traces.exporters;
    expect(exporters.map((name) => collector.exporters[name]?.endpoint)).toContain('http://jaeger:4318');
    expect(compose.services.jaeger?.environment?.COLLECTOR_OTLP_ENABLED).toBe('true');
  });

  it('has Prometheus read the collector and evaluate the alert rules', () => {
    const prometheus = parse(compose.configs.prometheus_conf.content) as { rule_files: string[]; scrape_configs: { static_configs: { targets: string[] }[] }[] };
    expect(prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets))).toContain('otel-collector:8889');
    const [rules] = prometheus.rule_files;
    expect(mounts('prometheus').get(`${rules}:ro`.replace(/:ro$/, ''))).toBe('./k8s/monitoring/alerts.rules.yaml');
  });

  it('provisions Grafana with both data sources and the gridledger dashboard', () => {
    const grafana = mounts('grafana');
    expect(grafana.get('/etc/grafana/provisioning')).toBe('./k8s/monitoring/grafana/provisioning');
    const datasources = parse(read('k8s', 'monitoring', 'grafana', 'provisioning', 'datasources', 'gridledger.yaml')) as { datasources: { type: string; url: string }[] };
    expect(datasources.datasources.map((d) => [d.type, d.url])).toEqual([
      ['prometheus', 'http://prometheus:9090'],
      ['jaeger', 'http://jaeger:16686'],
    ]);
    const provider = parse(read('k8s', 'monitoring', 'grafana', 'provisioning', 'dashboards', 'gridledger.yaml')) as { providers: { options: { path: string } }[] };
    const dashboardMount = [...grafana].find(([, from]) => from === './k8s/monitoring/gridledger-dashboard.json')?.[0];
    expect(dashboardMount && dirname(dashboardMount)).toBe(provider.providers[0].options.path);
  });

  it('serves the web console', () => {
    expect(compose.services.console?.ports).toEqual(['3000:3000']);
    expect(compose.services.console?.environment).toMatchObject({ NATS_URL: 'nats://nats:4222', CONSOLE_BALANCING_URL: 'http://balancing:3002' });
  });
});
