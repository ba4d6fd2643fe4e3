import { isPortFree } from '../stack';
import { guardWhileRunning } from '../stack/signal-guard';
import { buildConsoleWeb, startConsole } from './console-process';
import { runMarketDay, type OpenMarket } from './market-day';
import { OptionsError, parseOptions } from './options';
import { formatSummary } from './summary';

/** `npm run demo`: one simulated market day, from readings to finalized periods on chain. */
async function main(): Promise<number> {
  process.env.TZ = 'UTC';
  let options;
  try {
    options = parseOptions(process.argv.slice(2), Date.now());
  } catch (error) {
    if (error instanceof OptionsError) {
      process.stderr.write(`${error.message.trim()}\n`);
      return 2;
    }
    throw error;
  }
  const started = Date.now();
  const log = (line: string): void => {
    process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  };
  const run = await runMarketDay(options, log, { whileOpen: options.keep ? (market) => keepOpen(market, log) : undefined });
  process.stdout.write(`${formatSummary(run.summary)}\n`);
  const failed = run.summary.invariants.filter((check) => !check.ok);
  process.stdout.write(`\n${failed.length === 0 ? 'market day complete' : `${failed.length} invariant(s) FAILED`} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return failed.length === 0 ? 0 : 1;
}

/** `--keep`: the web console beside the open market; Ctrl-C stops it, then the market and the stack. */
async function keepOpen(market: OpenMarket, log: (line: string) => void): Promise<never> {
  buildConsoleWeb({ force: false });
  // Port 3000 (or CONSOLE_PORT) when free, else any free one: the URL printed is the one to open.
  const wanted = Number(process.env.CONSOLE_PORT ?? 3000);
  const web = await startConsole(market, (await isPortFree(wanted)) ? wanted : undefined);
  guardWhileRunning(async () => {
    await web.process.stop(10_000);
    await market.services.stopAll();
  });
  log(`console: ${web.url}  (re-drives: sign in as the market operator ${market.operatorAddress}, the dev node's first account)`);
  log('the market stays open; Ctrl-C stops it');
  return new Promise<never>(() => undefined);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
