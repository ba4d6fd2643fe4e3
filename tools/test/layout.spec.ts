import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parseDocument } from 'yaml';
import { renderKustomization } from '../src/ci/k8s/render-kustomization';

// docs/decisions.md "Where tests live": src/ holds only what ships. Specs and their support
// files live in the project's test/, benchmarks in its bench/. "Migrations": one folder and
// one file name per migration, the class name (recorded in the database) carrying the same
// timestamp as the file.

const ROOT = resolve(__dirname, '..', '..');
const PROJECT_GROUPS = ['libs', 'services', 'apps', 'tools', 'contracts'];
const SPEC = /\.(spec|int-spec|e2e-spec)\.ts$/;
const BENCH = /\.bench\.ts$/;
const TEST_SUPPORT = /test-support/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'artifacts', 'dist'].includes(entry.name) ? [] : filesUnder(path);
    return [relative(ROOT, path)];
  });
}

const files = PROJECT_GROUPS.flatMap((group) => filesUnder(join(ROOT, group)));
const segments = (file: string): string[] => file.split(sep);

describe('repository layout', () => {
  it('finds the specs it polices', () => {
    expect(files.filter((f) => SPEC.test(f)).length).toBeGreaterThan(40);
  });

  it('keeps specs, benchmarks and test support out of src/', () => {
    const misplaced = files.filter((f) => segments(f).includes('src') && (SPEC.test(f) || BENCH.test(f) || TEST_SUPPORT.test(f)));
    expect(misplaced).toEqual([]);
  });

  it('keeps specs under test/ and benchmarks under bench/', () => {
    expect(files.filter((f) => SPEC.test(f) && !segments(f).includes('test'))).toEqual([]);
    expect(files.filter((f) => BENCH.test(f) && !segments(f).includes('bench'))).toEqual([]);
  });
});

describe('migrations', () => {
  const migrations = files.filter((f) => f.endsWith('.migration.ts'));
  const FILE_NAME = /(?:^|\/)src\/migrations\/(\d{13})-[a-z0-9]+(?:-[a-z0-9]+)*\.migration\.ts$/;

  it('finds every service\'s migrations', () => {
    for (const service of ['meter-ingest', 'balancing', 'capacity-market', 'chain-bridge']) {
      expect(migrations.filter((f) => f.startsWith(`services/${service}/`)).length).toBeGreaterThan(0);
    }
  });

  it('live in src/migrations/<unix-ms>-<name>.migration.ts', () => {
    expect(migrations.filter((f) => !FILE_NAME.test(f.split(sep).join('/')))).toEqual([]);
  });

  it.each(migrations)('%s: one class <What><same unix-ms>, listed in index.ts', (file) => {
    const timestamp = FILE_NAME.exec(file.split(sep).join('/'))?.[1];
    const source = readFileSync(join(ROOT, file), 'utf8');
    const classes = [...source.matchAll(/export class (\w+?)(\d{13}) /g)];
    expect(classes.map((c) => c[2])).toEqual([timestamp]);
    expect(source).toContain(`name = '${classes[0][1]}${timestamp}'`);
    const index = readFileSync(join(ROOT, file, '..', 'index.ts'), 'utf8');
    expect(index).toContain(`'./${file.split(sep).pop()!.replace(/\.ts$/, '')}'`);
  });
});

describe('configuration names', () => {
  // docs/decisions.md "Configuration names and units".
  const PREFIXES: Record<string, string> = {
    'meter-ingest': 'METER_INGEST_',
    balancing: 'BALANCING_',
    'capacity-market': 'CAPACITY_',
    'chain-bridge': 'CHAIN_',
  };
  // CHAIN_RPC_URL and ROLE_*: the role registry every service with signed writes reads (docs/trust.md).
  const COMMON_PREFIXES = ['NATS_', 'DATABASE_', 'HTTP_', 'LOG_', 'OTEL_', 'CHAIN_RPC_URL', 'ROLE_'];
  const variablesOf = (file: string): string[] => [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
  const common = variablesOf('libs/service-kit/src/config.ts');
  const own = Object.keys(PREFIXES).flatMap((service) => variablesOf(`services/${service}/src/config.ts`).map((variable) => ({ service, variable })));

  it('finds the variables it polices', () => {
    expect(common).toEqual(expect.arrayContaining(['NATS_URL', 'DATABASE_URL', 'HTTP_PORT']));
    expect(own.length).toBeGreaterThan(15);
  });

  it('common variables are named by what they configure, service variables by their service', () => {
    expect(common.filter((variable) => !COMMON_PREFIXES.some((prefix) => variable.startsWith(prefix)))).toEqual([]);
    expect(own.filter(({ service, variable }) => !variable.startsWith(PREFIXES[service])).map(({ variable }) => variable)).toEqual([]);
  });

  it('the Kubernetes overlays and docker-compose set only variables their service reads', () => {
    // zod ignores unknown variables, so a misspelt or renamed one would pass silently.
    const reads = (service: string): string[] => [...common, ...variablesOf(`services/${service}/src/config.ts`)];
    const unknown: string[] = [];
    const check = (where: string, service: string, variables: readonly string[]) => {
      if (!(service in PREFIXES)) return;
      unknown.push(...variables.filter((variable) => !reads(service).includes(variable)).map((variable) => `${where}: ${service} ${variable}`));
    };
    let checked = 0;
    for (const overlay of ['dev', 'prod']) {
      for (const object of renderKustomization(join(ROOT, 'k8s', 'overlays', overlay))) {
        const name = String((object.metadata as { name?: string } | undefined)?.name);
        if (object.kind === 'ConfigMap') check(`k8s ${overlay} ConfigMap`, name, Object.keys((object.data as Record<string, string> | undefined) ?? {}));
        if (object.kind === 'Deployment') {
          const containers = ((object.spec as { template: { spec: { containers: { env?: { name: string }[] }[] } } }).template.spec.containers);
          check(`k8s ${overlay} Deployment`, name, containers.flatMap((container) => (container.env ?? []).map((entry) => entry.name)));
        }
        if (name in PREFIXES) checked += 1;
      }
    }
    const compose = parseDocument(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }).toJSON() as { services: Record<string, { environment?: Record<string, string> }> };
    for (const [service, definition] of Object.entries(compose.services)) {
      check('docker-compose.yml', service, Object.keys(definition.environment ?? {}));
      if (service in PREFIXES) checked += 1;
    }
    expect(checked).toBeGreaterThan(8);
    expect(unknown).toEqual([]);
  });

  it('tests, benchmarks and tools set only variables some configuration reads', () => {
    // A renamed variable left in a test's env is ignored, and the test quietly runs on the
    // default. Known: every configuration schema (services and test fixtures built on
    // commonConfigSchema), plus the variables of tools and test helpers themselves.
    const schemaFiles = [
      ...files.filter((f) => f.endsWith('.ts') && (f.startsWith(`libs${sep}`) || f.startsWith(`services${sep}`)) && readFileSync(join(ROOT, f), 'utf8').includes('commonConfigSchema(')),
      // Apps (the console) validate their own environment in src/config.ts.
      ...files.filter((f) => f.startsWith(`apps${sep}`) && f.endsWith(`${sep}src${sep}config.ts`)),
    ];
    const known = new Set(schemaFiles.flatMap(variablesOf));
    // NATS_OPERATOR_* / NATS_HEAD_END_*: the CLI's, the console's and an MPO head-end's NATS users (nats-access.ts);
    // CONSOLE_: apps/console's own schema; POD_NAME: the k8s NATS config's server name.
    const notServiceConfig = /^(TEST_|STACK_|BENCH_|NX_|MPO_|NATS_OPERATOR_|NATS_HEAD_END_|CONSOLE_)|^(NODE_ENV|NODE_OPTIONS|FORCE_COLOR|DEBIAN_FRONTEND|DATABASE_ADMIN_URL|PG_ADMIN_URL|POD_NAME)$/;
    const setters = files.filter((f) => f.endsWith('.ts') && (segments(f).includes('test') || segments(f).includes('bench') || f.startsWith(`tools${sep}src`)));
    const unknown = setters.flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?<!(?:const|let|var|readonly) )\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\s*:\s*['"`\d]|(?<!(?:const|let|var|readonly) )\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\s*:\s*String\(/g)]
        .map((m) => m[1] ?? m[2])
        .filter((variable) => !known.has(variable) && !notServiceConfig.test(variable))
        .map((variable) => `${file}: ${variable}`),
    );
    expect(known.size).toBeGreaterThan(30);
    expect(unknown).toEqual([]);
  });

  it('durations are integer milliseconds named *_MS (OpenTelemetry keeps its own names)', () => {
    const all = [...common, ...own.map(({ variable }) => variable)].filter((variable) => !variable.startsWith('OTEL_'));
    expect(all.filter((variable) => /_(MINUTES?|MINS?|SECONDS?|SECS?|HOURS?|DURATION)$/.test(variable))).toEqual([]);
    expect(all.filter((variable) => /(INTERVAL|TIMEOUT|WAIT|DEADLINE|DELAY|GRACE|AFTER|RETRY_MAX)/.test(variable) && !variable.endsWith('_MS'))).toEqual([]);
  });
});

describe('repositories', () => {
  // docs/decisions.md "One repository style". Controllers are clean today; workers, stream
  // handlers and some services still hold SQL of their own (see the decision's status).
  const SQL = /\.query\(|createQueryBuilder\(|getRepository\(/;

  it('controllers hold no SQL', () => {
    const controllers = files.filter((f) => f.startsWith(`services${sep}`) && f.endsWith('.controller.ts'));
    expect(controllers.length).toBeGreaterThan(5);
    expect(controllers.filter((f) => SQL.test(readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });
});
