import type { Clock } from '@gridledger/domain';

/** A clock that moves only when told: tests of deadlines, expiries and windows. */
export class ManualClock implements Clock {
  constructor(private currentMs: number) {}

  static at(iso: string): ManualClock {
    return new ManualClock(Date.parse(iso));
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  nowMs(): number {
    return this.currentMs;
  }

  advance(ms: number): this {
    this.currentMs += ms;
    return this;
  }

  set(iso: string): this {
    this.currentMs = Date.parse(iso);
    return this;
  }
}
