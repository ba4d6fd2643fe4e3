import { DomainError, MAX_ABS_PRICE_PER_MWH, PeriodError, PeriodLength, PricePerMWh, WattHours, formatInstant, parsePeriodId, priceProblem } from '@gridledger/domain';

export { MAX_ABS_PRICE_PER_MWH, priceProblem };

/**
 * Domain limits of the inputs balancing settles, chosen so every sum and every priced
 * amount the settlement stores fits a Postgres bigint (int8, max 2^63 − 1 ≈ 9.22 × 10^18),
 * the binding limit (the contract's totals are int128 on chain, far wider).
 *
 * - One schedule moves at most 10^12 Wh (1 TWh in one period: 4 TW for 15 minutes, several
 *   times Europe's whole peak load).
 * - A group-period has at most 1000 schedules, so |schedule_net_wh| ≤ 10^15 Wh.
 * - A price (imbalance or energy) is at most 10^9 cents/MWh in magnitude (10 M€/MWh, a
 *   thousand times any market's cap).
 *
 * The schedules' share of a priced amount is then at most 10^15 Wh × 10^9 / 10^6 = 10^18
 * cents; a ledger delta (new amount − amount already posted) at most twice that, 2 × 10^18,
 * leaving ≥ 7 × 10^18 of int8 for the meters' share (meter values are bounded by intake at
 * MAX_ABS_WH each; a settlement that still overflows is parked, not retried forever).
 */
export const MAX_SCHEDULE_WH: WattHours = 10n ** 12n;
export const MAX_SCHEDULES_PER_GROUP_PERIOD = 1000;

/** Refuses a schedule energy outside 0..MAX_SCHEDULE_WH, naming `field`. */
export function assertScheduleEnergy(energyWh: WattHours, field = 'energyWh'): void {
  const problem = scheduleEnergyProblem(energyWh);
  if (problem) throw DomainError.invalid(field, problem, 'OUT_OF_RANGE');
}

export function scheduleEnergyProblem(energyWh: WattHours): string | undefined {
  if (energyWh < 0n) return 'must not be negative';
  if (energyWh > MAX_SCHEDULE_WH) return `must be at most ${MAX_SCHEDULE_WH} Wh (10^12) per schedule`;
  return undefined;
}

/** Refuses a price whose magnitude exceeds MAX_ABS_PRICE_PER_MWH, naming `field`. */
export function assertPrice(price: PricePerMWh, field: string): void {
  const problem = priceProblem(price);
  if (problem) throw DomainError.invalid(field, problem, 'OUT_OF_RANGE');
}


/** Refuses one schedule more for a group-period already holding `existing` other schedules. */
export function assertScheduleCount(existing: number, groupId: string): void {
  if (existing >= MAX_SCHEDULES_PER_GROUP_PERIOD) {
    throw new DomainError('unprocessable', 'TOO_MANY_SCHEDULES', 'scheduleId', `group ${groupId} already has ${MAX_SCHEDULES_PER_GROUP_PERIOD} schedules in this period`);
  }
}

/**
 * How far from now a market input (schedule, price) may name its period: back at most the
 * correction window (a settled period is corrected only within it; the contract refuses
 * commits after its own window), ahead at most the horizon (day-ahead trading, no far future
 * that would sit in the queue for years).
 */
export interface InputWindow {
  readonly pastMs: number;
  readonly aheadMs: number;
}

export function periodWindowProblem(periodId: string, length: PeriodLength, nowMs: number, window: InputWindow): string | undefined {
  let startMs: number;
  try {
    startMs = parsePeriodId(periodId, length);
  } catch (error) {
    if (error instanceof PeriodError) return error.message;
    throw error;
  }
  if (startMs < nowMs - window.pastMs) return `period starts before ${formatInstant(nowMs - window.pastMs)}, outside the correction window of ${window.pastMs} ms`;
  if (startMs > nowMs + window.aheadMs) return `period starts after ${formatInstant(nowMs + window.aheadMs)}, beyond the horizon of ${window.aheadMs} ms`;
  return undefined;
}

/** Refuses a period outside the input window, naming `field` (code OUTSIDE_WINDOW). */
export function assertPeriodWindow(periodId: string, length: PeriodLength, nowMs: number, window: InputWindow, field = 'periodId'): void {
  const problem = periodWindowProblem(periodId, length, nowMs, window);
  if (problem) throw DomainError.invalid(field, problem, 'OUTSIDE_WINDOW');
}
