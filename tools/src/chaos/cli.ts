import { ChaosOptionsError, parseChaosOptions } from './chaos-options';
import { currentInfrastructure, runChaos } from './chaos-run';

/** `npm run chaos`: progress lines, then one line of JSON with the faults and the differences. */
async function main(): Promise<number> {
  process.env.TZ = 'UTC';
  let options;
  try {
    options = parseChaosOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ChaosOptionsError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: stopping the chaos run's own infrastructure\n`);
      void (currentInfrastructure?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  const started = Date.now();
  const report = await runChaos(options, (line) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`));
  const { differences: _differences, ...figures } = report;
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  const clean = report.whLost === '0' && report.whDuplicated === '0' && report.rootsDiffering === 0 && report.ledgerDiffering === 0 && report.allocationsDiffering === 0 && report.totalsDiffering === 0 && report.chainDiffering === 0;
  return clean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
