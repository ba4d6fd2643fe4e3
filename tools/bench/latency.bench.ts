import { Client } from 'pg';
import { STREAMS } from '@gridledger/messaging';
import { startOwnInfrastructure } from '../src/chaos/own-infrastructure';
import type { RunningMarket } from '../src/demo/market-day';
import { defaultOptions, type MarketDayOptions } from '../src/demo/options';
import { driveMarketDay, progressLine, waitUntilAnchored } from '../src/demo/market-day';

/**
 * `npm run bench:latency`: how long after a quarter hour's last value was accepted is it
 * settled, committed, confirmed and finalized on chain? A market of 100k meters in 50 groups
 * on infrastructure of its own (nats-server, Postgres, anvil mining a block every second) and
 * the four services, 8 quarter hours of a past day submitted one every `--quarter-seconds`
 * (time compressed: the day is replayed after the fact, so the gate closes on completeness,
 * as in the demo). Last line JSON.
 *
 *   npm run bench:latency -- [--meters 100000] [--groups 50] [--periods 8] [--quarter-seconds 30] [--profile tuned|defaults]
 *
 * `defaults` runs the services with their shipped timings (1 s polls, 3 confirmations);
 * `tuned` with the settings docs/scaling.md recommends for latency.
 */
type Profile = 'tuned' | 'defaults';

/** The services' shipped timings, which the demo's own (250 ms polls) would otherwise hide. */
const DEFAULTS_ENV: Record<string, string> = {
  BALANCING_SETTLE_INTERVAL_MS: '1000',
  CAPACITY_WORKER_INTERVAL_MS: '1000',
  CHAIN_POLL_INTERVAL_MS: '1000',
  CHAIN_CONFIRMATIONS: '3',
};

/** Shorter polls where a wait was pure polling; the confirmation depth stays at 3 blocks of 1 s. */
const TUNED_ENV: Record<string, string> = {
  BALANCING_SETTLE_INTERVAL_MS: '200',
  CAPACITY_WORKER_INTERVAL_MS: '200',
  CHAIN_POLL_INTERVAL_MS: '250',
  CHAIN_CONFIRMATIONS: '3',
};

const STAGES = ['settled', 'committed', 'confirmed', 'finalized'] as const;
type Stage = (typeof STAGES)[number];

interface Options {
  meters: number;
  groups: number;
  periods: number;
  quarterSeconds: number;
  profile: Profile;
}

function parse(argv: readonly string[]): Options {
  const options: Options = { meters: 100_000, groups: 50, periods: 8, quarterSeconds: 30, profile: 'tuned' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--profile') {
      if (value !== 'tuned' && value !== 'defaults') throw new Error('--profile must be tuned or defaults');
      options.profile = value;
      continue;
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive whole number`);
    if (flag === '--meters') options.meters = n;
    else if (flag === '--groups') options.groups = n;
    else if (flag === '--periods') options.periods = n;
    else if (flag === '--quarter-seconds') options.quarterSeconds = n;
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (seconds: number): number => Math.round(seconds * 10) / 10;

async function main(): Promise<void> {
  process.env.TZ = 'UTC';
  const options = parse(process.argv.slice(2));
  const started = Date.now();
  const log = (line: string): void => void process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  const day: MarketDayOptions = { ...defaultOptions(Date.now()), meters: options.meters, groups: options.groups, periods: options.periods, seed: 'gridledger-latency', window: options.periods, timeoutMs: 600_000 };
  const infrastructure = await startOwnInfrastructure({ blockTime: 1, log });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void infrastructure.stop().finally(() => process.exit(130)));
  const acceptedAt: number[] = [];
  let storage: Record<string, number> = {};
  let firstQuarterAt = 0;
  try {
    const result = await driveMarketDay(
      day,
      log,
      {
        handleSignals: false,
        startStack: async () => infrastructure,
        blockPacer: false,
        progressEvery: 1,
        serviceEnv: options.profile === 'tuned' ? TUNED_ENV : DEFAULTS_ENV,
        async beforePeriodSubmitted(index) {
          // Quarter hour `index` ends `quarterSeconds` after the one before: its values are sent then.
          if (index === 0) firstQuarterAt = Date.now();
          const due = firstQuarterAt + index * options.quarterSeconds * 1000;
          if (due > Date.now()) await new Promise((done) => setTimeout(done, due - Date.now()));
        },
        async afterPeriodSubmitted(index) {
          acceptedAt[index] = Date.now();
        },
      },
      async (market, expected) => {
        const anchored = await waitUntilAnchored(market.observations, market.population, market.periodIds, day.timeoutMs, log);
        if (!anchored) throw new Error(`not every period was finalized within ${day.timeoutMs / 1000} s: ${progressLine(market.observations, market.population.groups, market.periodIds)}`);
        const seen = market.observations.firstSeenAt;
        const values = [...expected.values()].reduce((sum, period) => sum + period.size, 0);
        storage = await storagePerValue(market, values);
        log(`storage per value (${values} values): ${JSON.stringify(storage)}`);
        return market.periodIds.map((periodId, index) => {
          const latest = (stage: Stage): number => {
            if (stage === 'finalized') return seen.get(`finalized|${periodId}`) ?? Number.NaN;
            return Math.max(...market.population.groups.map((group) => seen.get(`${stage}|${group}|${periodId}`) ?? Number.NaN));
          };
          const seconds = Object.fromEntries(STAGES.map((stage) => [stage, round((latest(stage) - acceptedAt[index]) / 1000)])) as Record<Stage, number>;
          log(`period ${periodId}: ${STAGES.map((stage) => `${stage} ${seconds[stage]} s`).join(' · ')}`);
          return seconds;
        });
      },
    );
    const stages = Object.fromEntries(
      STAGES.map((stage) => {
        const values = result.map((period) => period[stage]);
        return [stage, { p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values) }];
      }),
    );
    const finalized = result.map((period) => period.finalized);
    process.stdout.write(
      `${JSON.stringify({ meters: options.meters, groups: options.groups, periods: options.periods, profile: options.profile, quarterSeconds: options.quarterSeconds, p50SecondsToFinalized: percentile(finalized, 50), p95SecondsToFinalized: percentile(finalized, 95), stages, bytesPerValue: storage })}\n`,
    );
  } finally {
    await infrastructure.stop();
  }
}

/** Bytes on disk per accepted value: each service's schema (tables and indexes) and the METER stream. */
async function storagePerValue(market: RunningMarket, values: number): Promise<Record<string, number>> {
  const client = new Client({ connectionString: market.databaseUrl });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    const rows = await client.query<{ schema: string; bytes: string }>(
      `SELECT n.nspname AS schema, sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') GROUP BY n.nspname`,
    );
    const perValue: Record<string, number> = {};
    for (const row of rows.rows) perValue[`postgres:${row.schema}`] = Math.round(Number(row.bytes) / values);
    const stream = await market.messaging.jsm.streams.info(market.messaging.streamName(STREAMS.METER.name));
    perValue['jetstream:METER'] = Math.round(stream.state.bytes / values);
    return perValue;
  } finally {
    await client.end();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:latency failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
