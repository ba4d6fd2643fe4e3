import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { K8sObject, renderKustomization } from '../src/ci/k8s/render-kustomization';
import { JsonObject, strategicMerge } from '../src/ci/k8s/strategic-merge';
import { validateObject } from '../src/ci/k8s/validate-object';

// Renders every kustomization under k8s/ offline and validates each object against the
// Kubernetes schemas (kubernetes-models 4.5), then checks the operational promises the
// manifests make: hardened pods, probes on the health endpoints, limits, autoscaling,
// a 3-node JetStream that fsyncs before acking, and deny-by-default networking.

const K8S = resolve(__dirname, '..', '..', 'k8s');
const KUSTOMIZATIONS = ['base', 'overlays/dev', 'overlays/prod'];
const SERVICES = { 'meter-ingest': 3001, balancing: 3002, 'capacity-market': 3003, 'chain-bridge': 3004 } as const;
// The base and prod get these from the cluster's secret manager; only dev carries its own.
const EXTERNAL_SECRETS = new Set(['gridledger-database', 'gridledger-postgres', 'gridledger-chain-bridge', 'gridledger-chain-finalizer', 'gridledger-meter-ingest', 'gridledger-nats-users']);

type Obj = Record<string, unknown>;
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((current, key) => (current !== null && typeof current === 'object' ? (current as Obj)[key as string] : undefined), value);
const podSpec = (o: K8sObject): Obj => at(o, 'spec', 'template', 'spec') as Obj;
const containers = (o: K8sObject): Obj[] => (at(podSpec(o), 'containers') as Obj[]) ?? [];
const workloads = (objects: K8sObject[]): K8sObject[] => objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
const find = (objects: K8sObject[], kind: string, name: string): K8sObject | undefined => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe.each(KUSTOMIZATIONS)('k8s/%s', (path) => {
  const objects = renderKustomization(join(K8S, path));

  it('renders, and every object is valid against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(30);
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  it('puts every namespaced object into one namespace', () => {
    const namespaces = new Set(objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata.namespace));
    expect(namespaces.size).toBe(1);
  });

  it('runs every container non-root, read-only, without capabilities, with requests and limits', () => {
    for (const workload of workloads(objects)) {
      expect([workload.metadata.name, at(podSpec(workload), 'securityContext', 'runAsNonRoot')]).toEqual([workload.metadata.name, true]);
      for (const container of containers(workload)) {
        const where = `${workload.metadata.name}/${String(container.name)}`;
        expect([where, at(container, 'securityContext', 'readOnlyRootFilesystem')]).toEqual([where, true]);
        expect([where, at(container, 'securityContext', 'allowPrivilegeEscalation')]).toEqual([where, false]);
        expect([where, at(container, 'securityContext', 'capabilities', 'drop')]).toEqual([where, ['ALL']]);
        for (const kind of ['requests', 'limits']) {
          expect([where, kind, Object.keys((at(container, 'resources', kind) as Obj) ?? {}).sort()]).toEqual([where, kind, ['cpu', 'memory']]);
        }
      }
    }
  });

  it.each(Object.entries(SERVICES))('%s: a Deployment on its port with liveness and readiness on the health endpoints', (name, port) => {
    const deployment = find(objects, 'Deployment', name);
    expect(deployment).toBeDefined();
    const [container] = containers(deployment as K8sObject);
    expect(at(container, 'ports', 0, 'containerPort')).toBe(port);
    expect(at(container, 'livenessProbe', 'httpGet', 'path')).toBe('/health/live');
    expect(at(container, 'readinessProbe', 'httpGet', 'path')).toBe('/health/ready');
    expect(find(objects, 'Service', name)?.spec).toMatchObject({ ports: [{ port, targetPort: 'http' }] });
    expect(find(objects, 'ServiceAccount', name)).toBeDefined();
    expect(find(objects, 'ConfigMap', name)?.data).toMatchObject({ HTTP_PORT: String(port), NATS_URL: 'tls://nats:4222' });
  });

  it("runs the TSO's finalizer as its own Deployment: the TSO key from its own Secret, none in chain-bridge", () => {
    const finalizer = find(objects, 'Deployment', 'chain-finalizer') as K8sObject;
    const [container] = containers(finalizer);
    expect(at(container, 'ports', 0, 'containerPort')).toBe(3005);
    expect(at(container, 'readinessProbe', 'httpGet', 'path')).toBe('/health/ready');
    expect(find(objects, 'ConfigMap', 'chain-finalizer')?.data).toMatchObject({ CHAIN_MODE: 'finalizer', HTTP_PORT: '3005' });
    expect(find(objects, 'ServiceAccount', 'chain-finalizer')).toBeDefined();
    const keyOf = (workload: K8sObject, variable: string) => JSON.stringify(containers(workload).flatMap((c) => ((c.env as Obj[] | undefined) ?? []).filter((e) => e.name === variable)));
    expect(keyOf(finalizer, 'CHAIN_TSO_KEY')).toContain('"name":"gridledger-chain-finalizer"');
    expect(keyOf(finalizer, 'CHAIN_COMMITTER_KEY')).toBe('[]');
    expect(keyOf(find(objects, 'Deployment', 'chain-bridge') as K8sObject, 'CHAIN_TSO_KEY')).toBe('[]');
  });

  it('autoscales meter-ingest and balancing', () => {
    for (const name of ['meter-ingest', 'balancing']) {
      const hpa = find(objects, 'HorizontalPodAutoscaler', name);
      expect(at(hpa, 'spec', 'scaleTargetRef')).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(at(hpa, 'spec', 'maxReplicas')).toBeGreaterThan(at(hpa, 'spec', 'minReplicas') as number);
    }
  });

  it('runs NATS as a 3-node JetStream cluster that fsyncs before acknowledging', () => {
    const nats = find(objects, 'StatefulSet', 'nats');
    expect(at(nats, 'spec', 'replicas')).toBe(3);
    const config = String(at(find(objects, 'ConfigMap', 'nats-config'), 'data', 'nats.conf'));
    expect(config).toMatch(/jetstream\s*\{[^}]*sync_interval:\s*always/);
    expect(config.match(/nats:\/\/nats-\d\.nats-headless:6222/g)).toHaveLength(3);
    for (const name of Object.keys(SERVICES)) expect(at(find(objects, 'ConfigMap', name), 'data', 'NATS_STREAM_REPLICAS')).toBe('3');
  });

  it('has Postgres, the OpenTelemetry collector, and deny-all network policy plus one allow per workload', () => {
    expect(find(objects, 'StatefulSet', 'postgres')).toBeDefined();
    expect(find(objects, 'Deployment', 'otel-collector')).toBeDefined();
    expect(at(find(objects, 'NetworkPolicy', 'default-deny-all'), 'spec')).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    for (const workload of workloads(objects)) expect(find(objects, 'NetworkPolicy', workload.metadata.name)).toBeDefined();
  });

  it('every Service selects pods that exist, and every referenced ConfigMap and Secret exists', () => {
    const podLabels = workloads(objects).map((w) => (at(w, 'spec', 'template', 'metadata', 'labels') as Obj) ?? {});
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = (at(service, 'spec', 'selector') as Obj) ?? {};
      expect([service.metadata.name, podLabels.some((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v))]).toEqual([service.metadata.name, true]);
    }
    const text = JSON.stringify(workloads(objects));
    const refs = (pattern: RegExp): string[] => [...text.matchAll(pattern)].map((m) => m[1] as string);
    for (const name of refs(/"(?:configMapRef|configMapKeyRef|configMap)":\{[^}]*?"name":"([^"]+)"/g)) expect(find(objects, 'ConfigMap', name)).toBeDefined();
    for (const name of refs(/"secretKeyRef":\{[^}]*?"name":"([^"]+)"/g)) {
      if (path !== 'overlays/dev' && EXTERNAL_SECRETS.has(name)) continue; // base and prod: supplied by the cluster
      const optional = new RegExp(`"secretKeyRef":\\{[^}]*"name":"${name}"[^}]*"optional":true`).test(text);
      if (!optional) expect([name, find(objects, 'Secret', name) !== undefined]).toEqual([name, true]);
    }
  });
});

describe('overlays', () => {
  it('dev and prod differ where they should: image tags, registry, sizes', () => {
    const image = (path: string): unknown => at(containers(find(renderKustomization(join(K8S, path)), 'Deployment', 'balancing') as K8sObject)[0], 'image');
    expect(image('base')).toBe('gridledger/balancing:0.1.0');
    expect(image('overlays/dev')).toBe('gridledger/balancing:dev');
    expect(image('overlays/prod')).toBe('registry.example.com/gridledger/balancing:0.1.0');
    const minReplicas = (path: string): unknown => at(find(renderKustomization(join(K8S, path)), 'HorizontalPodAutoscaler', 'meter-ingest'), 'spec', 'minReplicas');
    expect([minReplicas('overlays/dev'), minReplicas('overlays/prod')]).toEqual([1, 3]);
  });
});

describe('the renderer and the validator', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kustomize-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('merges lists of named items by name and replaces other lists', () => {
    const base: JsonObject = { spec: { containers: [{ name: 'a', image: 'x', args: ['1', '2'] }, { name: 'b', image: 'y' }] } };
    const patch: JsonObject = { spec: { containers: [{ name: 'b', image: 'z' }, { name: 'c', image: 'w' }] } };
    expect(strategicMerge(base, patch)).toEqual({ spec: { containers: [{ name: 'a', image: 'x', args: ['1', '2'] }, { name: 'b', image: 'z' }, { name: 'c', image: 'w' }] } });
    expect(strategicMerge({ a: { b: 1, c: 2 } }, { a: { c: null } })).toEqual({ a: { b: 1 } });
  });

  it('refuses fields it does not implement, such as the deprecated bases', () => {
    writeFileSync(join(dir, 'kustomization.yaml'), 'bases:\n  - ../base\n');
    expect(() => renderKustomization(dir)).toThrow(/unsupported fields: bases/);
  });

  it('refuses a patch whose target is missing', () => {
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n');
    writeFileSync(join(dir, 'p.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: b }\ndata: { x: "1" }\n');
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [a.yaml]\npatches:\n  - path: p.yaml\n');
    expect(() => renderKustomization(dir)).toThrow(/patch target ConfigMap\/b/);
  });

  it('rejects unknown kinds and schema violations', () => {
    const meta = { name: 'x' };
    expect(validateObject({ apiVersion: 'v1', kind: 'Gizmo', metadata: meta })).toEqual(['Gizmo/x: unknown kind Gizmo in v1']);
    expect(validateObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { replicas: 'three', selector: {}, template: {} } })).toEqual([
      expect.stringContaining('replicas must be integer'),
    ]);
  });
});
