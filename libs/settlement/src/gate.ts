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
  // With no registry entry for the group and period, completeness means nothing: wait for the deadline.
  if (missing.length === 0 && input.expected.length > 0) return { kind: 'close', reason: 'complete' };
  if (input.nowMs >= gateDeadlineMs(input.periodEndMs, input.deadlineMs)) return { kind: 'close', reason: 'deadline', missing };
  return { kind: 'stay-open' };
}

export function gateDeadlineMs(periodEndMs: number, deadlineMs: number): number {
  return periodEndMs + deadlineMs;
}
