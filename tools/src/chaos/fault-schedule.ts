import { seededRandom } from '@gridledger/testing';

/**
 * The chaos suite's faults, and when they strike: a schedule drawn from a seed, so a run can
 * be repeated fault for fault. Pure: the harness (faults.ts) carries them out.
 */
export const FAULT_KINDS = [
  'kill-meter-ingest',
  'kill-balancing',
  'kill-capacity-market',
  'kill-chain-bridge',
  'restart-nats',
  'restart-postgres',
  'evm-reorg',
  'restart-evm',
  'delete-stream-message',
  'dead-letter',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Service kills come at least this often, and are drawn this many times more often ("several times each"). */
const KILL_WEIGHT = 2;
const OTHER_WEIGHT = 1;
/** Kinds that come once per schedule: each deleted message is one more group-period to heal. */
const ONCE: readonly FaultKind[] = ['delete-stream-message'];

export interface ScheduledFault {
  /** Struck after this period's readings were accepted (0-based). */
  readonly afterPeriod: number;
  readonly kind: FaultKind;
  /**
   * How long after the moment it waits for: the period's submission for most kinds, the
   * period's first settled group for `kill-chain-bridge` (so it lands on a chain transaction).
   */
  readonly delayMs: number;
}

export interface ScheduleOptions {
  readonly seed: string;
  readonly periods: number;
  readonly faults: number;
  readonly kinds?: readonly FaultKind[];
}

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

/**
 * Every kind at least once and every service kill twice (when there are enough faults), the
 * rest drawn with the kills weighted up; each at a seeded period and delay. A stream message
 * is deleted once, never in the first period (whose register readings open the meters).
 */
export function faultSchedule(options: ScheduleOptions): ScheduledFault[] {
  const kinds = options.kinds ?? FAULT_KINDS;
  if (kinds.length === 0 || options.faults <= 0 || options.periods <= 0) return [];
  const random = seededRandom(`${options.seed}/faults`);
  const weight = (kind: FaultKind): number => (kind.startsWith('kill-') ? KILL_WEIGHT : OTHER_WEIGHT);
  const pool = kinds.filter((kind) => !ONCE.includes(kind)).flatMap((kind) => Array<FaultKind>(weight(kind)).fill(kind));
  const base = [...kinds, ...kinds.filter((kind) => weight(kind) > 1)];
  const drawn: FaultKind[] = base.slice(0, Math.min(base.length, options.faults));
  while (drawn.length < options.faults) drawn.push(pool.length > 0 ? pool[Math.floor(random() * pool.length)] : kinds[0]);
  const deletions = new Set<number>();
  const faults = drawn.map((kind): ScheduledFault => {
    let afterPeriod = Math.floor(random() * options.periods);
    if (kind === 'delete-stream-message') {
      const free = Array.from({ length: options.periods }, (_, i) => i).filter((i) => i > 0 && !deletions.has(i));
      afterPeriod = free.length > 0 ? free[Math.floor(random() * free.length)] : afterPeriod;
      deletions.add(afterPeriod);
    }
    const delayMs = Math.floor(random() * (kind === 'kill-chain-bridge' ? 400 : 1500));
    return { afterPeriod, kind, delayMs };
  });
  return faults.sort((a, b) => a.afterPeriod - b.afterPeriod || a.delayMs - b.delayMs);
}

/** How many of each kind a list of faults holds. */
export function countKinds(faults: readonly { kind: FaultKind }[]): Partial<Record<FaultKind, number>> {
  const counts: Partial<Record<FaultKind, number>> = {};
  for (const fault of faults) counts[fault.kind] = (counts[fault.kind] ?? 0) + 1;
  return counts;
}
