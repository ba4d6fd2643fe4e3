/**
 * Options of the market-day demo. Defaults give several thousand meters in a few groups over
 * one whole day; the e2e test runs a smaller day the same way.
 */
export interface MarketDayOptions {
  readonly meters: number;
  readonly groups: number;
  readonly periods: number;
  /** The simulated UTC day (YYYY-MM-DD); must lie in the past, since intake refuses future values. */
  readonly day: string;
  readonly seed: string;
  /** Periods submitted ahead of the slowest settled one (back-pressure for small machines). */
  readonly window: number;
  /** Give up waiting for the chain after this long (ms). */
  readonly timeoutMs: number;
  /** Keep the market and the web console running after the day, until Ctrl-C. */
  readonly keep?: boolean;
}

export function yesterdayUtc(nowMs: number): string {
  return new Date(nowMs - 86_400_000).toISOString().slice(0, 10);
}

export function defaultOptions(nowMs: number): MarketDayOptions {
  return { meters: 3000, groups: 3, periods: 96, day: yesterdayUtc(nowMs), seed: 'gridledger-demo', window: 12, timeoutMs: 15 * 60_000 };
}

const USAGE = `usage: npm run demo -- [--meters N] [--groups N] [--periods N] [--day YYYY-MM-DD] [--seed S] [--keep]
  --meters   meter points in the market (default 3000, at least 10)
  --groups   balancing groups (default 3, 1 to 50)
  --periods  quarter hours of the day to run (default 96, 1 to 96)
  --day      the UTC day to simulate (default yesterday)
  --seed     seed of the simulated population and profiles
  --keep     keep the market open after the day and serve the web console (prints its URL) until Ctrl-C`;

export class OptionsError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'OptionsError';
  }
}

export function parseOptions(argv: readonly string[], nowMs: number): MarketDayOptions {
  const options: { -readonly [K in keyof MarketDayOptions]: MarketDayOptions[K] } = { ...defaultOptions(nowMs) };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') throw new OptionsError('');
    if (flag === '--keep') {
      options.keep = true;
      continue;
    }
    if (value === undefined) throw new OptionsError(`${flag} needs a value`);
    i += 1;
    switch (flag) {
      case '--meters':
        options.meters = integer(flag, value, 10, 200_000);
        break;
      case '--groups':
        options.groups = integer(flag, value, 1, 50);
        break;
      case '--periods':
        options.periods = integer(flag, value, 1, 96);
        break;
      case '--day':
        if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new OptionsError('--day must read YYYY-MM-DD');
        if (Date.parse(`${value}T00:00:00Z`) + 86_400_000 > nowMs) throw new OptionsError('--day must be a day that has ended (intake refuses values from the future)');
        options.day = value;
        break;
      case '--seed':
        options.seed = value;
        break;
      default:
        throw new OptionsError(`unknown option ${flag}`);
    }
  }
  return options;
}

function integer(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new OptionsError(`${flag} must be a whole number`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new OptionsError(`${flag} must be between ${min} and ${max}`);
  return parsed;
}
