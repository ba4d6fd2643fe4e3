import { randomBytes } from 'node:crypto';
import { defaultOptions, type MarketDayOptions } from '../demo/options';
import { driveMarketDay, progressLine, waitUntilAnchored } from '../demo/market-day';
import { compareBooks, readBooks, type BooksComparison, type MarketBooks } from './books';
import { countKinds, faultSchedule, type FaultKind, type ScheduledFault } from './fault-schedule';
import { FaultInjector, type InjectedFault } from './faults';
import { startOwnInfrastructure, type OwnInfrastructure } from './own-infrastructure';

/**
 * The chaos suite: one market day with a seed, run twice on infrastructure of its own, once
 * clean and once with the seeded schedule's faults; then the two runs' books are compared.
 */
export interface ChaosOptions {
  readonly seed: string;
  readonly meters: number;
  readonly groups: number;
  readonly periods: number;
  readonly faults: number;
  readonly kinds?: readonly FaultKind[];
  /** How long each run may take to anchor everything after its last reading. */
  readonly recoveryTimeoutMs: number;
}

export interface ChaosReport {
  readonly faults: number;
  readonly kinds: Partial<Record<FaultKind, number>>;
  readonly whLost: string;
  readonly whDuplicated: string;
  readonly rootsDiffering: number;
  readonly versionCountsDiffering: number;
  readonly ledgerDiffering: number;
  readonly allocationsDiffering: number;
  readonly totalsDiffering: number;
  readonly chainDiffering: number;
  /** From the end of the last fault until every period was anchored again (null: it never was). */
  readonly secondsToRecover: number | null;
  readonly cleanSeconds: number;
  readonly chaosSeconds: number;
  readonly groupPeriods: number;
  readonly differences: readonly string[];
}

/**
 * Service settings both runs share: a crashed consumer's unacknowledged messages come back
 * after 5 s (not a minute), and a reorg of REORG_DEPTH blocks stays below the confirmation depth.
 */
export const CHAOS_SERVICE_ENV: Record<string, string> = {
  BALANCING_CONSUMER_ACK_WAIT_MS: '5000',
  BALANCING_CATCH_UP_MAX_WAIT_MS: '10000',
  CHAIN_CONFIRMATIONS: '4',
};

interface DayResult {
  readonly books: MarketBooks;
  readonly seconds: number;
  readonly injected: readonly InjectedFault[];
  readonly secondsToRecover: number | null;
}

type Log = (line: string) => void;

/** The infrastructure of the run in progress, so a signal can stop it (cli.ts). */
export let currentInfrastructure: OwnInfrastructure | undefined;

export async function runChaos(options: ChaosOptions, log: Log): Promise<ChaosReport> {
  const day: MarketDayOptions = {
    ...defaultOptions(Date.now()),
    meters: options.meters,
    groups: options.groups,
    periods: options.periods,
    seed: options.seed,
    window: 4,
    timeoutMs: options.recoveryTimeoutMs,
  };
  // One leaf-salt key for both runs (each starts balancing on a new database): equal versions must have equal roots.
  const serviceEnv = { ...CHAOS_SERVICE_ENV, BALANCING_LEAF_SALT_KEY: `0x${randomBytes(32).toString('hex')}` };
  const schedule = faultSchedule({ seed: options.seed, periods: options.periods, faults: options.faults, kinds: options.kinds });
  log(`schedule: ${schedule.length} faults ${JSON.stringify(countKinds(schedule))} over ${options.periods} periods`);
  const clean = await runDay(day, serviceEnv, [], (line) => log(`clean  ${line}`));
  log(`clean run done in ${clean.seconds.toFixed(0)} s: ${clean.books.groupPeriods.size} group-periods settled`);
  const chaotic = await runDay(day, serviceEnv, schedule, (line) => log(`chaos  ${line}`));
  log(`chaotic run done in ${chaotic.seconds.toFixed(0)} s after ${chaotic.injected.length} faults`);
  const comparison: BooksComparison = compareBooks(clean.books, chaotic.books);
  for (const line of comparison.examples) log(`differs: ${line}`);
  return {
    faults: chaotic.injected.length,
    kinds: countKinds(chaotic.injected),
    whLost: comparison.whLost.toString(),
    whDuplicated: comparison.whDuplicated.toString(),
    rootsDiffering: comparison.rootsDiffering,
    versionCountsDiffering: comparison.versionCountsDiffering,
    ledgerDiffering: comparison.ledgerDiffering,
    allocationsDiffering: comparison.allocationsDiffering,
    totalsDiffering: comparison.totalsDiffering,
    chainDiffering: comparison.chainDiffering,
    secondsToRecover: chaotic.secondsToRecover,
    cleanSeconds: Math.round(clean.seconds),
    chaosSeconds: Math.round(chaotic.seconds),
    groupPeriods: clean.books.groupPeriods.size,
    differences: comparison.examples,
  };
}

async function runDay(day: MarketDayOptions, serviceEnv: Record<string, string>, schedule: readonly ScheduledFault[], log: Log): Promise<DayResult> {
  const started = Date.now();
  const infrastructure = await startOwnInfrastructure({ log });
  currentInfrastructure = infrastructure;
  const injector = new FaultInjector(infrastructure, schedule, log);
  try {
    return await driveMarketDay(
      day,
      log,
      {
        handleSignals: false,
        startStack: async () => infrastructure,
        serviceEnv,
        progressEvery: 2,
        onRunning: (market) => injector.attach(market),
        beforePeriodSubmitted: (index, services) => injector.beforePeriod(index, services),
        afterPeriodSubmitted: (index, services) => injector.afterPeriod(index, services),
      },
      async (market) => {
        const anchored = await waitUntilAnchored(market.observations, market.population, market.periodIds, day.timeoutMs, log);
        // waitUntilAnchored wants two quiet seconds before it answers.
        const recoveredAt = Date.now() - 2_000;
        if (!anchored) log(`not everything anchored within ${day.timeoutMs / 1000} s: ${progressLine(market.observations, market.population.groups, market.periodIds)}; comparing what there is`);
        const last = injector.lastFaultEndedAt;
        const books = await readBooks(market);
        return {
          books,
          seconds: (Date.now() - started) / 1000,
          injected: injector.injected,
          secondsToRecover: !anchored ? null : last === undefined ? 0 : Math.max(0, Math.round((recoveredAt - last) / 100) / 10),
        };
      },
    );
  } finally {
    await infrastructure.stop();
    currentInfrastructure = undefined;
  }
}
