import { ExpectedMeter } from './meter-value';
import { MeterRows, NO_VALUE, missingMetersOf } from './meter-rows';

/**
 * Gate closure of a group's period: it closes when every expected meter has reported, or
 * when `deadlineMs` after the period end has passed (then the missing meters are
 * substituted). Time comes in as `nowMs`; nothing here reads a clock.
 */
export type GateDecision =
  | { readonly kind: 'stay-open' }
  | { readonly kind: 'close'; readonly reason: 'complete' }
  | { readonly kind: 'close'; readonly reason: 'deadline'; readonly missing: readonly ExpectedMeter[] };

export interface GateInput {
  readonly meters: MeterRows;
  readonly periodEndMs: number;
  /** How long after the period end the gate closes regardless. */
  readonly deadlineMs: number;
  readonly nowMs: number;
}

export function gateDecision(input: GateInput): GateDecision {
  if (isComplete(input.meters)) return { kind: 'close', reason: 'complete' };
  if (input.nowMs >= gateDeadlineMs(input.periodEndMs, input.deadlineMs)) return { kind: 'close', reason: 'deadline', missing: missingMetersOf(input.meters) };
  return { kind: 'stay-open' };
}

/**
 * Every expected meter has a value. With no registry entry for the group and period,
 * completeness means nothing: the period waits for the deadline.
 */
export function isComplete(meters: MeterRows): boolean {
  let expected = 0;
  for (let row = 0; row < meters.expected.length; row++) {
    if (meters.expected[row] === 0) continue;
    if (meters.kinds[row] === NO_VALUE) return false;
    expected++;
  }
  return expected > 0;
}

export function gateDeadlineMs(periodEndMs: number, deadlineMs: number): number {
  return periodEndMs + deadlineMs;
}
