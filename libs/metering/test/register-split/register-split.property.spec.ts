import fc from 'fast-check';
import { splitRegisterReadings } from '../../src/register-split/register-split';
import { RegisterSplitReading, RegisterSplitResult } from '../../src/register-split/register-split.types';

const QUARTER = 900_000;
const START = Date.UTC(2026, 0, 1);
const MAX_GAP = 6 * 3_600_000;

/** A random register series: steps of 1 ms .. 6 h, increments of 0 .. 10^12 Wh. */
const steps = fc.array(fc.record({ dtMs: fc.integer({ min: 1, max: MAX_GAP }), dWh: fc.bigInt({ min: 0n, max: 10n ** 12n }) }), { minLength: 1, maxLength: 60 });
const firstRegister = fc.bigInt({ min: 0n, max: 10n ** 15n });
const shuffleKeys = fc.array(fc.integer(), { minLength: 62, maxLength: 62 });

function series(offsetMs: number, first: bigint, increments: readonly { dtMs: number; dWh: bigint }[]): RegisterSplitReading[] {
  const readings: RegisterSplitReading[] = [{ meterId: 'M', readAtMs: START + offsetMs, registerWh: first }];
  for (const { dtMs, dWh } of increments) {
    const previous = readings[readings.length - 1];
    readings.push({ meterId: 'M', readAtMs: previous.readAtMs + dtMs, registerWh: previous.registerWh + dWh });
  }
  return readings;
}

function sum(result: RegisterSplitResult): bigint {
  return result.intervals.reduce((total, interval) => total + interval.energyWh, 0n);
}

function expectContiguous(result: RegisterSplitResult): void {
  for (let k = 1; k < result.intervals.length; k += 1) {
    expect(result.intervals[k].periodStartMs - result.intervals[k - 1].periodStartMs).toBe(QUARTER);
  }
}

describe('splitRegisterReadings: properties', () => {
  it('between readings on period boundaries, periods are non-negative integers summing exactly to the register delta', () => {
    fc.assert(
      fc.property(firstRegister, steps, fc.bigInt({ min: 0n, max: 10n ** 12n }), shuffleKeys, (first, increments, lastIncrement, keys) => {
        const readings = series(0, first, increments);
        // Close the series on the next boundary so the whole delta falls into whole periods.
        const last = readings[readings.length - 1];
        readings.push({ meterId: 'M', readAtMs: Math.floor(last.readAtMs / QUARTER) * QUARTER + QUARTER, registerWh: last.registerWh + lastIncrement });
        // Submitted in random order: the split sorts.
        const shuffled = readings.map((reading, k) => ({ reading, key: keys[k] })).sort((a, b) => a.key - b.key).map((entry) => entry.reading);
        const result = splitRegisterReadings(shuffled, 'PT15M', { maxGapMs: MAX_GAP });
        expect(result.errors).toEqual([]);
        expect(result.gaps).toEqual([]);
        for (const interval of result.intervals) {
          expect(typeof interval.energyWh).toBe('bigint');
          expect(interval.energyWh >= 0n).toBe(true);
        }
        expectContiguous(result);
        expect(sum(result)).toBe(readings[readings.length - 1].registerWh - first);
      }),
      { numRuns: 300 },
    );
  });

  it('off the grid, periods + partial first period + what the state carries = the register delta', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: QUARTER - 1 }), firstRegister, steps, (offset, first, increments) => {
        const readings = series(offset, first, increments);
        const result = splitRegisterReadings(readings, 'PT15M', { maxGapMs: MAX_GAP });
        const partial = result.gaps.reduce((total, gap) => total + (gap.energyWh ?? 0n), 0n);
        const [state] = result.states;
        const carried = state.lastReading.registerWh - state.anchor.registerWh;
        expect(carried >= 0n).toBe(true);
        expect(sum(result) + partial + carried).toBe(readings[readings.length - 1].registerWh - first);
      }),
      { numRuns: 300 },
    );
  });

  it('splitting a series into batches with the state carried gives the same periods as one batch', () => {
    fc.assert(
      fc.property(firstRegister, steps, fc.nat(), fc.constantFrom(MAX_GAP, 3_600_000), (first, increments, cutSeed, maxGapMs) => {
        // With a 1 h maxGapMs some spans are long: their estimated flags must survive the cut too.
        const readings = series(0, first, increments);
        const cut = 1 + (cutSeed % readings.length);
        const whole = splitRegisterReadings(readings, 'PT15M', { maxGapMs });
        const head = splitRegisterReadings(readings.slice(0, cut), 'PT15M', { maxGapMs });
        const tail = splitRegisterReadings(readings.slice(cut), 'PT15M', { maxGapMs, previous: new Map(head.states.map((s) => [s.meterId, s])) });
        expect([...head.intervals, ...tail.intervals]).toEqual(whole.intervals);
        expect(tail.states.length > 0 ? tail.states : head.states).toEqual(whole.states);
      }),
      { numRuns: 300 },
    );
  });
});

describe('splitRegisterReadings: hostile batches', () => {
  const hostileReading = fc.record({
    meterId: fc.oneof(fc.constantFrom('M1', 'M2'), fc.string({ maxLength: 80 })),
    readAtMs: fc.oneof(
      fc.integer({ min: START, max: START + 2 * 86_400_000 }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE),
    ),
    registerWh: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n })),
    meterExchange: fc.boolean(),
    previousMeterFinalWh: fc.option(fc.bigInt({ min: -1n, max: 10n ** 9n }), { nil: undefined }),
  });

  it('never throws; every period is a non-negative integer on the grid, once per meter; every refusal says why', () => {
    fc.assert(
      fc.property(fc.array(hostileReading, { maxLength: 80 }), fc.integer({ min: 60_000, max: 86_400_000 }), (readings, maxGapMs) => {
        const result = splitRegisterReadings(readings, 'PT15M', { maxGapMs, maxSpanMs: maxGapMs * 4, expectedUntilMs: START + 3 * 86_400_000 });
        const seen = new Set<string>();
        for (const interval of result.intervals) {
          expect(interval.energyWh >= 0n).toBe(true);
          expect(interval.periodStartMs % QUARTER).toBe(0);
          const key = `${interval.meterId} ${interval.periodStartMs}`;
          expect(seen.has(key)).toBe(false);
          seen.add(key);
        }
        for (const error of result.errors) {
          expect(error.field).toMatch(/^readings\[\d+\]\.\w+$/);
          expect(error.reason.length).toBeGreaterThan(5);
        }
        for (const gap of result.gaps) expect(gap.toMs).toBeGreaterThanOrEqual(gap.fromMs);
      }),
      { numRuns: 500 },
    );
  });
});
