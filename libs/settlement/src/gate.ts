import { ExpectedMeter, meterKey } from './meter-value';

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
  readonly expected: readonly ExpectedMeter[];
  readonly reportedKeys: ReadonlySet<string>;
  readonly periodEndMs: number;
  readonly deadlineMs: number;
  readonly nowMs: number;
}

export function gateDecision(input: GateInput): GateDecision {
  const missing = input.expected.filter((meter) => !input.reportedKeys.has(meterKey(meter)));
  return gateDecisionFromMissing({ expectedCount: input.expected.length, missing, periodEndMs: input.periodEndMs, deadlineMs: input.deadlineMs, nowMs: input.nowMs });
}

/** The same rule when a store has already worked out which expected meters are missing. */
export function gateDecisionFromMissing(input: {
  readonly expectedCount: number;
  readonly missing: readonly ExpectedMeter[];
  readonly periodEndMs: number;
  readonly deadlineMs: number;
  readonly nowMs: number;
}): GateDecision {
  // With no registry entry for the group and period, completeness means nothing: wait for the deadline.
  if (input.missing.length === 0 && input.expectedCount > 0) return { kind: 'close', reason: 'complete' };
  if (input.nowMs >= gateDeadlineMs(input.periodEndMs, input.deadlineMs)) return { kind: 'close', reason: 'deadline', missing: input.missing };
  return { kind: 'stay-open' };
}

export function gateDeadlineMs(periodEndMs: number, deadlineMs: number): number {
  return periodEndMs + deadlineMs;
}
