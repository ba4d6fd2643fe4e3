import fc from 'fast-check';
import { alignSeries, StatedSeries } from '../../src/mscons/interval-alignment';
import { PeriodIdFormatter } from '../../src/mscons/period-id-formatter';

const QUARTER = 900_000;
const START = Date.UTC(2026, 2, 1);

describe('alignSeries: properties', () => {
  it('accounts for every stated value and Wh exactly: on the grid once, or quarantined', () => {
    const step = fc.record({
      // Durations of 1 to 40 minutes (often whole quarter hours), a gap or overlap now and then.
      minutes: fc.oneof(fc.constant(15), fc.integer({ min: 1, max: 40 })),
      shift: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -20, max: 20 })),
      wh: fc.bigInt({ min: 0n, max: 10n ** 9n }),
      qualifier: fc.constantFrom('220', '220', '220', '67', '201', '20'),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), fc.constantFrom(QUARTER, 4 * QUARTER), (steps, periodMs) => {
        const stated = new StatedSeries();
        let at = START;
        steps.forEach((s, k) => {
          const start = at + s.shift * 60_000;
          const end = start + s.minutes * 60_000;
          const quality = s.qualifier === '220' ? 'measured' : s.qualifier === '67' ? 'substituted' : s.qualifier === '201' ? 'estimated' : null;
          stated.push(k + 1, start, end, s.wh, s.qualifier, quality);
          at = end;
        });
        const aligned = alignSeries(stated, periodMs, new PeriodIdFormatter());
        const statedWh = steps.reduce((sum, s) => sum + s.wh, 0n);
        const quarantinedWh = aligned.quarantined.reduce((sum, q) => sum + q.energyWh, 0n);
        expect(aligned.totalWh + quarantinedWh).toBe(statedWh);
        expect(aligned.intervals.reduce((n, v) => n + v.sourceValues, 0) + aligned.quarantined.length).toBe(steps.length);
        expect(new Set(aligned.quarantined.map((q) => q.segmentNumber)).size).toBe(aligned.quarantined.length);
        const periods = aligned.intervals.map((v) => v.periodStartMs);
        expect(new Set(periods).size).toBe(periods.length);
        for (const value of aligned.intervals) expect(value.periodStartMs % periodMs).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
