import { FAULT_KINDS, isFaultKind, type FaultKind } from './fault-schedule';
import type { ChaosOptions } from './chaos-run';

/** `npm run chaos` defaults: a day long enough for ≥20 faults of every kind, small enough for 2 cores. */
export const DEFAULT_CHAOS_OPTIONS: ChaosOptions = { seed: 'gridledger-chaos', meters: 200, groups: 3, periods: 16, faults: 24, recoveryTimeoutMs: 300_000 };

export const CHAOS_USAGE = `usage: npm run chaos -- [--seed S] [--meters N] [--groups N] [--periods N] [--faults N] [--kinds a,b,…] [--recovery-timeout SECONDS]
  runs one market day twice on infrastructure of its own (nats-server, Postgres, anvil on free ports):
  clean, then with N faults drawn from the seed; compares the books and ends with one line of JSON.
  kinds: ${FAULT_KINDS.join(', ')}`;

export class ChaosOptionsError extends Error {}

export function parseChaosOptions(argv: readonly string[]): ChaosOptions {
  const options: { -readonly [K in keyof ChaosOptions]: ChaosOptions[K] } = { ...DEFAULT_CHAOS_OPTIONS };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') throw new ChaosOptionsError(CHAOS_USAGE);
    if (value === undefined) throw new ChaosOptionsError(`${flag} needs a value\n${CHAOS_USAGE}`);
    const whole = (min: number, max: number): number => {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < min || n > max) throw new ChaosOptionsError(`${flag} must be a whole number from ${min} to ${max}`);
      return n;
    };
    switch (flag) {
      case '--seed':
        options.seed = value;
        break;
      case '--meters':
        options.meters = whole(10, 100_000);
        break;
      case '--groups':
        options.groups = whole(1, 50);
        break;
      case '--periods':
        options.periods = whole(1, 96);
        break;
      case '--faults':
        options.faults = whole(0, 500);
        break;
      case '--recovery-timeout':
        options.recoveryTimeoutMs = whole(10, 7200) * 1000;
        break;
      case '--kinds': {
        const kinds = value.split(',').map((k) => k.trim());
        const unknown = kinds.filter((k) => !isFaultKind(k));
        if (unknown.length > 0) throw new ChaosOptionsError(`--kinds: unknown ${unknown.join(', ')} (known: ${FAULT_KINDS.join(', ')})`);
        options.kinds = kinds as FaultKind[];
        break;
      }
      default:
        throw new ChaosOptionsError(`unknown option ${flag}\n${CHAOS_USAGE}`);
    }
  }
  return options;
}
