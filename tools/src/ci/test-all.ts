import { join, resolve } from 'node:path';
import { LocalStack, startLocalStack, stackEnvironment } from '../stack';
import { parseJestFailedSuites, parseJestTestCounts, sumCounts, TestCounts } from './jest-summary';
import { runCommand } from './run-command';

// npm test [-- step ...]: lint, typecheck, unit, then the local stack (reused or started),
// integration and e2e against it, then stop what was started. Every step runs even after a
// failure, so one run shows everything that is wrong; the exit code is non-zero if any failed.

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const MINUTE = 60_000;
// The workspace's own CLIs, run by node directly (no npx lookup, no shell).
const bin = (name: string): string => join(REPO_ROOT, 'node_modules', '.bin', name);

interface StepOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly counts?: TestCounts;
  readonly note?: string;
}

interface Step {
  readonly name: string;
  readonly needsStack: boolean;
  run(env: NodeJS.ProcessEnv): Promise<Omit<StepOutcome, 'name' | 'seconds'>>;
}

const node = process.execPath;

async function command(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ ok: boolean; output: string; note?: string }> {
  const result = await runCommand(node, args, env, REPO_ROOT, timeoutMs);
  return { ok: result.exitCode === 0, output: result.output, note: result.timedOut ? 'timed out' : undefined };
}

async function jestStep(project: string, extra: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Omit<StepOutcome, 'name' | 'seconds'>> {
  const result = await command([bin('jest'), '--selectProjects', project, '--ci', ...extra], env, timeoutMs);
  const counts = parseJestTestCounts(result.output);
  const noTests = counts === undefined && /No tests found/.test(result.output);
  const failedSuites = parseJestFailedSuites(result.output);
  const suiteNote = failedSuites > 0 ? `${failedSuites} suite${failedSuites > 1 ? 's' : ''} failed` : undefined;
  return { ok: result.ok, counts, note: result.note ?? suiteNote ?? (noTests ? 'no tests yet' : undefined) };
}

const steps: readonly Step[] = [
  {
    name: 'lint',
    needsStack: false,
    run: async (env) => {
      // The module-boundary rule needs Nx's project graph; without one it is silently skipped.
      const graph = await command([bin('nx'), 'show', 'projects'], env, 5 * MINUTE);
      if (!graph.ok) return { ok: false, note: 'nx could not build the project graph' };
      const lint = await command([bin('eslint'), '.'], env, 15 * MINUTE);
      return { ok: lint.ok, note: lint.note };
    },
  },
  {
    name: 'typecheck',
    needsStack: false,
    run: async (env) => {
      const tsc = await command([bin('tsc'), '-p', 'tsconfig.json', '--noEmit'], env, 15 * MINUTE);
      // The console's web app (browser code: DOM types, JSX) has its own configuration.
      const web = await command([bin('tsc'), '-p', 'apps/console/web/tsconfig.json'], env, 15 * MINUTE);
      return { ok: tsc.ok && web.ok, note: tsc.note ?? web.note };
    },
  },
  { name: 'unit', needsStack: false, run: (env) => jestStep('unit', [], env, 20 * MINUTE) },
  // --forceExit: a handle some client library leaves open (a NATS connection attempt to a
  // cluster a test has stopped) must not hold the run until its time limit once every test has
  // reported; jest still prints "did not exit", so the leak stays visible.
  { name: 'integration', needsStack: true, run: (env) => jestStep('integration', ['--runInBand', '--forceExit'], env, 45 * MINUTE) },
  { name: 'e2e', needsStack: true, run: (env) => jestStep('e2e', ['--runInBand', '--passWithNoTests', '--forceExit'], env, 45 * MINUTE) },
];

function header(index: number, total: number, title: string): void {
  const line = `── [${index}/${total}] ${title} `;
  process.stdout.write(`\n${line.padEnd(78, '─')}\n`);
}

function describeOutcome(outcome: StepOutcome): string {
  const counts = outcome.counts ? `  ${outcome.counts.passed} passed, ${outcome.counts.failed} failed` : '';
  const note = outcome.note ? `  (${outcome.note})` : '';
  return `  ${outcome.ok ? 'PASS' : 'FAIL'}  ${outcome.name.padEnd(12)} ${outcome.seconds.toFixed(1).padStart(7)} s${counts}${note}`;
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((name) => !steps.some((s) => s.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown step(s): ${unknown.join(', ')}; steps are ${steps.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const selected = argv.length > 0 ? steps.filter((s) => argv.includes(s.name)) : steps;
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' };
  const total = selected.length + (selected.some((s) => s.needsStack) ? 1 : 0);
  const outcomes: StepOutcome[] = [];
  let stack: LocalStack | undefined;
  let stackError: string | undefined;
  let index = 0;

  try {
    for (const step of selected) {
      if (step.needsStack && !stack && !stackError) {
        header(++index, total, 'local stack: NATS, Postgres, EVM node');
        const started = Date.now();
        try {
          stack = await startLocalStack({ evm: true });
          outcomes.push({ name: 'stack', ok: true, seconds: (Date.now() - started) / 1000 });
        } catch (error) {
          stackError = error instanceof Error ? error.message : String(error);
          process.stderr.write(`[stack] ${stackError}\n`);
          outcomes.push({ name: 'stack', ok: false, seconds: (Date.now() - started) / 1000, note: 'could not start' });
        }
      }
      header(++index, total, step.name);
      const started = Date.now();
      if (step.needsStack && !stack) {
        outcomes.push({ name: step.name, ok: false, seconds: 0, note: 'not run: no local stack' });
        continue;
      }
      const env = stack ? { ...baseEnv, ...stackEnvironment(stack) } : baseEnv;
      const outcome = await step.run(env);
      outcomes.push({ name: step.name, seconds: (Date.now() - started) / 1000, ...outcome });
    }
  } finally {
    if (stack) await stack.stop();
  }

  process.stdout.write(`\n${'── summary '.padEnd(78, '─')}\n${outcomes.map(describeOutcome).join('\n')}\n`);
  const sum = sumCounts(outcomes.map((o) => o.counts));
  // A step that failed without a failed test (lint, types, a suite that did not load) still
  // counts as a failure in the closing line, so it never reads "0 failed" on a red run.
  const silentFailures = outcomes.filter((o) => !o.ok && (o.counts?.failed ?? 0) === 0).length;
  process.stdout.write(`${sum.passed} passed, ${sum.failed + silentFailures} failed\n`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[test] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
