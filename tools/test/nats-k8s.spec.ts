import { join, resolve } from 'node:path';
import { NATS_USER_NAMES, NATS_USERS, natsPasswordVariable, passwordsFromServerEnvironment, renderNatsAuthorization, type NatsServiceName } from '@gridledger/messaging';
import { readFileSync } from 'node:fs';
import { renderKustomization, type K8sObject } from '../src/ci/k8s/render-kustomization';
import { NATS_K8S_CONFIG, withGeneratedAuthorization } from '../src/ci/nats-k8s-config';

// The k8s NATS config carries the same users and permissions as nats-access.ts (the tests'
// and the local stack's servers are rendered from it), over TLS, with passwords from a Secret.

const K8S = resolve(__dirname, '..', '..', 'k8s');
const SERVICES: NatsServiceName[] = ['meter-ingest', 'balancing', 'capacity-market', 'chain-bridge'];
type Obj = Record<string, unknown>;
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((current, key) => (current !== null && typeof current === 'object' ? (current as Obj)[key as string] : undefined), value);
const find = (objects: K8sObject[], kind: string, name: string): K8sObject | undefined => objects.find((o) => o.kind === kind && o.metadata.name === name);
const envOf = (workload: K8sObject | undefined): Obj[] => (at(workload, 'spec', 'template', 'spec', 'containers', 0, 'env') as Obj[]) ?? [];

describe.each(['base', 'overlays/dev', 'overlays/prod'])('k8s/%s: NATS locked down', (path) => {
  const objects = renderKustomization(join(K8S, path));
  const config = String(at(find(objects, 'ConfigMap', 'nats-config'), 'data', 'nats.conf'));

  it('the server config holds the generated authorization block (no anonymous user) and client TLS', () => {
    expect(withGeneratedAuthorization(readFileSync(NATS_K8S_CONFIG, 'utf8'))).toBe(readFileSync(NATS_K8S_CONFIG, 'utf8'));
    const expected = renderNatsAuthorization({ passwords: passwordsFromServerEnvironment() });
    const actual = config.slice(config.indexOf('authorization {'), config.indexOf('# END generated authorization')).trimEnd();
    if (actual !== expected) throw new Error('k8s/base/nats.yaml is behind NATS_USERS: run node -r @swc-node/register tools/src/ci/nats-k8s-config.ts');
    expect(config).not.toMatch(/no_auth_user/);
    expect(config).toMatch(/tls\s*\{[^}]*cert_file:\s*\/etc\/nats\/tls\/tls\.crt[^}]*key_file:\s*\/etc\/nats\/tls\/tls\.key/);
  });

  it('the NATS pods get every user’s password from the Secret gridledger-nats-users and mount the TLS Secret', () => {
    const nats = find(objects, 'StatefulSet', 'nats');
    for (const name of NATS_USER_NAMES) {
      expect(envOf(nats)).toContainEqual({ name: natsPasswordVariable(name), valueFrom: { secretKeyRef: { name: 'gridledger-nats-users', key: name } } });
    }
    expect(at(nats, 'spec', 'template', 'spec', 'volumes')).toContainEqual({ name: 'tls', secret: { secretName: 'gridledger-nats-tls' } });
  });

  it.each(SERVICES)('%s connects over TLS as its own user', (service) => {
    expect(find(objects, 'ConfigMap', service)?.data).toMatchObject({ NATS_URL: 'tls://nats:4222', NATS_TLS_CA: '/etc/gridledger/nats-tls/ca.crt' });
    const deployment = find(objects, 'Deployment', service);
    const passwords = envOf(deployment).filter((entry) => String(entry.name).endsWith('NATS_PASSWORD'));
    expect(passwords).toEqual([{ name: natsPasswordVariable(service), valueFrom: { secretKeyRef: { name: 'gridledger-nats-users', key: NATS_USERS[service].user } } }]);
    expect(at(deployment, 'spec', 'template', 'spec', 'volumes')).toContainEqual({ name: 'nats-tls', secret: { secretName: 'gridledger-nats-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
  });

  it('the console (stream reader, dead-letter re-drives) connects over TLS as the operator', () => {
    expect(find(objects, 'ConfigMap', 'console')?.data).toMatchObject({ NATS_URL: 'tls://nats:4222', NATS_TLS_CA: '/etc/gridledger/nats-tls/ca.crt' });
    expect(envOf(find(objects, 'Deployment', 'console'))).toContainEqual({ name: 'NATS_OPERATOR_PASSWORD', valueFrom: { secretKeyRef: { name: 'gridledger-nats-users', key: 'operator' } } });
  });

  it(path === 'overlays/dev' ? 'carries dev NATS users and a dev certificate' : 'expects the NATS Secrets from the cluster', () => {
    const users = find(objects, 'Secret', 'gridledger-nats-users');
    const tls = find(objects, 'Secret', 'gridledger-nats-tls');
    if (path !== 'overlays/dev') return expect([users, tls]).toEqual([undefined, undefined]);
    expect(Object.keys((at(users, 'stringData') as Obj) ?? {}).sort()).toEqual([...NATS_USER_NAMES].sort());
    expect(Object.keys((at(tls, 'stringData') as Obj) ?? {}).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
  });
});
