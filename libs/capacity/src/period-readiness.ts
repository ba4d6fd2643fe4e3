/**
 * When a period's allocation is computed (the capacity market's gate closure):
 * - never before the period has ended and never without the period's energy price;
 * - as soon as every expected meter (the production meters of plants with holders at the
 *   period's start and the consumption meters of those holders) has a value;
 * - otherwise at the deadline (period end + grace), with missing values counted as zero.
 * A value or price arriving after a version was computed leads to a recomputation, published
 * as version n+1 when its result differs; the earlier version is superseded, never edited.
 */
export type Readiness =
  | { readonly ready: true; readonly reason: 'complete' | 'deadline' }
  | { readonly ready: false; readonly reason: 'period-open' | 'no-price' | 'waiting-for-meters' };

export interface ReadinessInput {
  readonly nowMs: number;
  readonly periodEndMs: number;
  readonly graceMs: number;
  readonly priceKnown: boolean;
  readonly expectedMeters: number;
  readonly arrivedMeters: number;
}

export function periodReadiness(input: ReadinessInput): Readiness {
  if (input.nowMs < input.periodEndMs) return { ready: false, reason: 'period-open' };
  if (!input.priceKnown) return { ready: false, reason: 'no-price' };
  if (input.arrivedMeters >= input.expectedMeters) return { ready: true, reason: 'complete' };
  if (input.nowMs >= input.periodEndMs + input.graceMs) return { ready: true, reason: 'deadline' };
  return { ready: false, reason: 'waiting-for-meters' };
}
