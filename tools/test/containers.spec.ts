import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';

// The container definitions agree with the services: a multi-stage Dockerfile per service
// that runs the compiled entry point as a non-root user, and a compose file wiring all four.

const ROOT = resolve(__dirname, '..', '..');
const SERVICES = { 'meter-ingest': 3001, balancing: 3002, 'capacity-market': 3003, 'chain-bridge': 3004 } as const;

describe.each(Object.entries(SERVICES))('services/%s/Dockerfile', (name, port) => {
  const dockerfile = readFileSync(join(ROOT, 'services', name, 'Dockerfile'), 'utf8');

  it('builds in stages and runs the compiled main as a non-root user on its port', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toContain('tools/src/ci/compile-for-image.ts');
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
    expect(dockerfile).toContain(`CMD ["services/${name}/src/main.js"]`);
  });
});

describe('tools/Dockerfile (the chain command for the dev overlay\'s deploy-contracts Job)', () => {
  const dockerfile = readFileSync(join(ROOT, 'tools', 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const deps = dockerfile.slice(dockerfile.indexOf('AS deps'), dockerfile.lastIndexOf('\nFROM '));

  it('compiles in the build stage and runs the compiled chain command on distroless Node as a non-root user', () => {
    expect(dockerfile).toContain('tools/src/ci/compile-for-image.ts');
    expect(runtime).toMatch(/^FROM gcr\.io\/distroless\/nodejs20/m);
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    expect(runtime).toContain('ENTRYPOINT ["/nodejs/bin/node", "tools/src/chain/cli.js"]');
  });

  it('ships production dependencies only: no Solidity compiler (the ABI and bytecode are prebuilt), no TypeScript toolchain', () => {
    expect(deps).toContain('npm ci --omit=dev');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const compiler of ['solc', 'typescript', '@swc/core', '@swc-node/register']) expect([compiler, manifest.dependencies[compiler]]).toEqual([compiler, undefined]);
    expect(readFileSync(join(ROOT, 'contracts', 'src', 'artifacts.generated.ts'), 'utf8')).toContain('bytecode');
  });
});

describe('docker-compose.yml', () => {
  const compose = parseDocument(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }).toJSON() as {
    services: Record<string, { build?: { dockerfile: string }; environment?: Record<string, string>; ports?: string[]; read_only?: boolean }>;
  };

  it.each(Object.entries(SERVICES))('%s: built from its Dockerfile, on its port, read-only, wired to NATS and Postgres', (name, port) => {
    const service = compose.services[name];
    expect(service?.build?.dockerfile).toBe(`services/${name}/Dockerfile`);
    expect(service?.ports).toEqual([`${port}:${port}`]);
    expect(service?.read_only).toBe(true);
    expect(service?.environment).toMatchObject({ NATS_URL: 'nats://nats:4222', HTTP_PORT: String(port) });
    expect(service?.environment?.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\/gridledger$/);
  });

  it('runs NATS with JetStream syncing before acknowledging, Postgres, anvil and a collector', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['nats', 'postgres', 'anvil', 'otel-collector']));
    expect(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')).toMatch(/jetstream \{[^}]*sync_interval: always/);
  });
});
