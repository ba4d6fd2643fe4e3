import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The module boundaries are a lint rule over Nx's project graph; these tests prove the rule
// is live (not silently skipped for want of a graph) by linting fixtures that break it.

const REPO_ROOT = resolve(__dirname, '..', '..');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
const bin = (name: string): string => join(REPO_ROOT, 'node_modules', '.bin', name);

interface LintMessage {
  readonly ruleId: string | null;
  readonly message: string;
}

/** Writes a throwaway file inside a project, lints it with the repo's config, removes it. */
function lintFixture(directory: string, source: string): LintMessage[] {
  const file = join(REPO_ROOT, directory, `boundary-fixture-${randomBytes(4).toString('hex')}.ts`);
  writeFileSync(file, source);
  try {
    const run = spawnSync(process.execPath, [bin('eslint'), '--format', 'json', '--no-warn-ignored', file], { cwd: REPO_ROOT, env, encoding: 'utf8' });
    const results = JSON.parse(run.stdout) as { messages: LintMessage[] }[];
    return results.flatMap((r) => r.messages);
  } finally {
    rmSync(file, { force: true });
  }
}

const boundaryErrors = (messages: LintMessage[]): string[] =>
  messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);

describe('module boundaries', () => {
  let projects: string[] = [];

  beforeAll(() => {
    // Also leaves the project graph in .nx/ for the lint rule, offline.
    const run = spawnSync(process.execPath, [bin('nx'), 'show', 'projects', '--json'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`nx show projects failed:\n${run.stderr}`);
    projects = JSON.parse(run.stdout) as string[];
  }, 60_000);

  it('nx lists every service and library', () => {
    expect([...projects].sort()).toEqual(
      expect.arrayContaining([
        'meter-ingest', 'balancing', 'capacity-market', 'chain-bridge',
        'domain', 'events', 'messaging', 'persistence', 'telemetry', 'service-kit', 'testing',
        'metering', 'settlement', 'capacity', 'contracts', 'tools',
      ]),
    );
  });

  it('a service importing another service fails lint', () => {
    const errors = boundaryErrors(lintFixture('services/balancing/src', "import '@gridledger/meter-ingest';\n"));
    expect(errors).toEqual(['Imports of apps are forbidden']);
  }, 60_000);

  it('a domain library importing Nest fails lint', () => {
    const errors = boundaryErrors(lintFixture('libs/domain/src', "import '@nestjs/common';\n"));
    expect(errors).toEqual(['A project tagged with "type:domain" is not allowed to import "@nestjs/common"']);
  }, 60_000);

  it('a pure library importing an adapter library fails lint', () => {
    const errors = boundaryErrors(lintFixture('libs/settlement/src', "import '@gridledger/messaging';\n"));
    expect(errors).toEqual([expect.stringContaining('can only depend on libs tagged with')]);
  }, 60_000);

  it('tools may use any scope\'s libraries but not a service', () => {
    expect(boundaryErrors(lintFixture('tools/src/ci', "import '@gridledger/metering';\nimport '@gridledger/contracts';\n"))).toEqual([]);
    expect(boundaryErrors(lintFixture('tools/src/ci', "import '@gridledger/balancing';\n"))).toEqual(['Imports of apps are forbidden']);
  }, 60_000);

  it('a service importing a shared library passes', () => {
    expect(boundaryErrors(lintFixture('services/balancing/src', "import '@gridledger/domain';\n"))).toEqual([]);
  }, 60_000);
});
