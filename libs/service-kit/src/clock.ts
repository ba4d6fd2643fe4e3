import { Inject } from '@nestjs/common';
import type { Clock } from '@gridledger/domain';

/** The one injection token for "now", used by every service's workers and controllers. */
export const CLOCK = Symbol('gridledger.clock');
export const InjectClock = () => Inject(CLOCK);

/** The machine's clock. One of the two places that may read it. */
export const systemClock: Clock = {
  now: () => new Date(),
  nowMs: () => Date.now(),
};

/**
 * A clock that stands at `startMs` when created and runs at real speed from there: replays
 * of a past day (the demo) and tests that need a fixed calendar but real timers.
 */
export function offsetClock(startMs: number): Clock {
  const offsetMs = startMs - Date.now();
  return {
    now: () => new Date(Date.now() + offsetMs),
    nowMs: () => Date.now() + offsetMs,
  };
}
